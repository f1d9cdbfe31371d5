import { createServer as createHttpServer } from 'node:http'
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Agent } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createDirectory } from './directory.ts'
import type {
  AddUserOptions,
  EmulatorApp,
  EmulatorDirectory,
  EmulatorTenant,
  EmulatorUser,
  RegisterAppOptions,
  RegisteredApp,
} from './directory.ts'
import { registerDefaults } from './defaults.ts'
import type { EmulatorDefaults } from './defaults.ts'
import { createFaultInjector } from './faults.ts'
import { createFederation, TOKEN_EXCHANGE_AUDIENCES } from './federation.ts'
import type {
  AddFederatedCredentialOptions,
  FederatedCredential,
  ManagedIdentity,
  ServiceAccountTokenOptions,
} from './federation.ts'
import type { FaultInjector, FaultSpec } from './faults.ts'
import { createRequestHandler } from './http-server.ts'
import { clientSecretValue, guid } from './ids.ts'
import { emulatorTlsMaterial } from './key-store.ts'
import { mfaClaimsChallenge } from './claims-request.ts'
import { createRequestLog } from './request-log.ts'
import type { RecordedRequest, RequestCounts } from './request-log.ts'
import { createRefreshTokenStore } from './refresh-tokens.ts'
import { createTokenIssuer, v1Issuer } from './token-issuer.ts'
import { DEFAULT_TOKEN_LIFETIMES } from './token-lifetimes.ts'
import type { TokenLifetimes } from './token-lifetimes.ts'
import { createTokenService } from './token-service.ts'
import type { IssueUserTokenOptions } from './token-service.ts'
import { createMsalNetworkClient, createTrustingAgent, createTrustingFetch } from './trusting-fetch.ts'
import type { FetchFunction, MsalNetworkClient } from './trusting-fetch.ts'

/**
 * Options of {@link startEmulator}.
 * @example
 * ```ts
 * const emu = await startEmulator({ seed: 'demo', tokenLifetimes: { accessTokenSeconds: 120 } })
 * ```
 */
export interface StartEmulatorOptions {
  /** TCP port; default 0 (any free port). */
  readonly port?: number
  /** Address to bind; default `127.0.0.1` (loopback only). */
  readonly host?: string
  /** Serve HTTPS with a generated CA (default `true`); `false` serves plain HTTP. */
  readonly https?: boolean
  /** Derive tenant, app and user IDs (and secrets) from this seed, so they are the same on every start. */
  readonly seed?: string
  /** The default tenant's ID (GUID). */
  readonly tenantId?: string
  /** The default tenant's domain; default `contoso.onmicrosoft.com`. */
  readonly tenantDomain?: string
  /** More tenants. */
  readonly tenants?: readonly { id?: string; domain?: string; displayName?: string }[]
  /** More apps (registered after the defaults). */
  readonly apps?: readonly RegisterAppOptions[]
  /** More users. */
  readonly users?: readonly AddUserOptions[]
  /** Token lifetimes (seconds); unset fields keep their defaults. */
  readonly tokenLifetimes?: Partial<TokenLifetimes>
  /** Faults installed at start. */
  readonly faults?: readonly FaultSpec[]
  /** Random source for probabilistic faults; default `Math.random`. */
  readonly random?: () => number
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number
  /**
   * Treat an OBO request whose `claims` parameter echoes the MFA challenge's policy ID as having done MFA.
   * Real Entra does not (the user must sign in again with MFA); default `false`.
   */
  readonly mfaSatisfiedByClaimsRequest?: boolean
  /** Tolerance in seconds on the user assertion's `exp`/`nbf`; default 0 so short test lifetimes bite. */
  readonly assertionClockSkewSeconds?: number
  /** Called after each request is answered (the CLI logs with it). */
  readonly onRequest?: (request: RecordedRequest) => void
  /**
   * How many recent requests `emu.requests` keeps; default 1,000 (older ones are dropped, so a long run does not
   * grow the heap). `emu.requestCounts()` counts every request whatever this is.
   */
  readonly maxRecordedRequests?: number
  /**
   * Record client secrets, assertions, tokens and `Authorization` headers as received; default `false`: they are
   * redacted (a JWT keeps its header and claims, never its signature). Turn on only where a test must compare them.
   */
  readonly recordSecrets?: boolean
  /** Lifetime of managed identity tokens (IMDS, App Service), seconds; default 86400 as on Azure. */
  readonly managedIdentityTokenSeconds?: number
}

/**
 * Options of {@link EntraEmulator.addAgentIdentity}.
 * @example
 * ```ts
 * emu.addAgentIdentity({ blueprintClientId: blueprint.clientId, displayName: 'Travel agent' })
 * ```
 */
export interface AddAgentIdentityOptions {
  /** The blueprint (registered with `registerAgentBlueprint`) the agent belongs to. */
  readonly blueprintClientId: string
  readonly displayName?: string
  /** The agent identity's ID; default a generated GUID. */
  readonly clientId?: string
}

/** Default of {@link StartEmulatorOptions.maxRecordedRequests}. */
const DEFAULT_MAX_RECORDED_REQUESTS = 1000

/**
 * A running emulator.
 * @example
 * ```ts
 * const emu: EntraEmulator = await startEmulator()
 * const token = emu.issueUserToken({ user: emu.defaults.users.plain })
 * ```
 */
export interface EntraEmulator extends AsyncDisposable {
  /** `https://127.0.0.1:<port>`: use as MSAL's authority host and `@azure/identity`'s `authorityHost`. */
  readonly authorityHost: string
  readonly port: number
  /** The default tenant's ID (GUID). */
  readonly tenantId: string
  readonly tenant: EmulatorTenant
  /** `${authorityHost}/${tenantId}`: an MSAL authority. */
  readonly authority: string
  /** `127.0.0.1:<port>`: for MSAL's `knownAuthorities`. */
  readonly host: string
  /** PEM of the CA that signed the server certificate (trust it: `NODE_EXTRA_CA_CERTS`, `emu.fetch`, `emu.httpsAgent`). */
  readonly caCertificate: string
  /** The apps and users registered at start. */
  readonly defaults: EmulatorDefaults
  /** Tenants, apps and users. */
  readonly directory: EmulatorDirectory
  /** Registers an app (client and/or resource). */
  registerApp(options?: RegisterAppOptions): RegisteredApp
  /** Adds a test user. */
  addUser(options?: AddUserOptions): EmulatorUser
  /** Adds a tenant. */
  addTenant(options?: { id?: string; domain?: string; displayName?: string }): EmulatorTenant
  /** Mints a signed user access token (the OBO assertion a front end would send). */
  issueUserToken(options: IssueUserTokenOptions): string
  /**
   * The most recent requests (up to `maxRecordedRequests`, default 1,000), oldest first, secrets redacted unless
   * `recordSecrets` (a live array).
   */
  readonly requests: RecordedRequest[]
  /** Empties {@link EntraEmulator.requests} (not the counts). */
  clearRequests(): void
  /** Requests received since start, by endpoint and grant type: counts every request, however many. */
  requestCounts(): RequestCounts
  /** Fault injection: latency, 429, 5xx, dropped connections, non-JSON bodies, custom Entra errors. */
  readonly faults: FaultInjector
  /** Current token lifetimes. */
  readonly tokenLifetimes: TokenLifetimes
  /** Changes token lifetimes from now on. */
  setTokenLifetimes(lifetimes: Partial<TokenLifetimes>): void
  /** Invalidates every refresh token of a user; returns how many. */
  revokeRefreshTokens(user: EmulatorUser | string): number
  /** `${authorityHost}/${tenant}/oauth2/v2.0/token`. */
  tokenEndpoint(tenant?: string): string
  /** `${authorityHost}/${tenant}/v2.0` (the `iss` of its tokens). */
  issuer(tenant?: string): string
  /** `https://sts.windows.net/${tenant}/`: the `iss` of its v1.0 tokens (`issueUserToken({ version: '1.0' })`). */
  issuerV1(tenant?: string): string
  /** `${authorityHost}/${tenant}/discovery/v2.0/keys`. */
  jwksUri(tenant?: string): string
  /** `${authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`. */
  openIdConfigurationUrl(tenant?: string): string
  /** The claims challenge (JSON text) that AADSTS50076 carries. */
  readonly mfaClaimsChallenge: string
  /**
   * A WHATWG fetch that trusts the emulator CA, and answers for `login.microsoftonline.com` (instance
   * discovery) from the emulator, so nothing leaves the machine.
   */
  readonly fetch: FetchFunction
  /** An `https.Agent` trusting the emulator CA (`undefined` for plain HTTP). */
  readonly httpsAgent: Agent | undefined
  /** An `@azure/msal-node` `system.networkClient` that trusts the emulator CA. */
  readonly networkClient: MsalNetworkClient
  /** IMDS-compatible managed identity endpoint: `${authorityHost}/metadata/identity/oauth2/token` (header `Metadata: true`). */
  readonly imdsEndpoint: string
  /** App Service-compatible identity endpoint (`IDENTITY_ENDPOINT`): `${authorityHost}/msi/token`. */
  readonly identityEndpoint: string
  /** The `IDENTITY_HEADER` secret the App Service-style endpoint expects in `X-IDENTITY-HEADER`. */
  readonly identityHeader: string
  /** The host's system-assigned managed identity (answers when no `client_id` is asked). */
  readonly systemAssignedIdentity: ManagedIdentity
  /** Adds a user-assigned managed identity (asked for by its `clientId`). */
  addManagedIdentity(options?: { clientId?: string; displayName?: string; tenantId?: string }): ManagedIdentity
  /** Adds a federated identity credential to an app (at most 20 per app; exact issuer, subject, audience). */
  addFederatedCredential(
    app: string | { clientId: string },
    options: AddFederatedCredentialOptions,
  ): FederatedCredential
  /** Removes an app's federated identity credential by name; returns whether it existed. */
  removeFederatedCredential(app: string | { clientId: string }, name: string): boolean
  /**
   * Lets an app accept a managed identity's token as its client assertion: a federated identity credential
   * with issuer = the identity's tenant issuer, subject = its principal ID, audience `api://AzureADTokenExchange`.
   */
  trustManagedIdentity(
    app: string | { clientId: string },
    identity: ManagedIdentity,
    options?: { name?: string; propagationSeconds?: number },
  ): FederatedCredential
  /** `${authorityHost}/kubernetes`: the emulated cluster's service-account token issuer (OIDC discovery + JWKS). */
  readonly kubernetesIssuer: string
  /** Mints a projected service-account token (`sub` = `system:serviceaccount:<ns>:<sa>`) as the kubelet would. */
  issueServiceAccountToken(options: ServiceAccountTokenOptions): string
  /** Registers an agent identity blueprint: an app that may ask `client_credentials` with `fmi_path`. */
  registerAgentBlueprint(options?: RegisterAppOptions): RegisteredApp
  /** Adds an agent identity under a blueprint; it authenticates with the T1 its blueprint gets for it. */
  addAgentIdentity(options: AddAgentIdentityOptions): RegisteredApp
  /** Stops the server and drops open connections. */
  close(): Promise<void>
}

/** `code` of the warning {@link startEmulator} emits when it listens beyond loopback. */
export const EXPOSED_WARNING_CODE = 'ONBEHALF_EMULATOR_EXPOSED'

/**
 * The warning for binding `host`, or `undefined` for a loopback address (127.0.0.0/8, ::1, localhost): anyone who
 * can reach a non-loopback address can mint tokens, read secrets from the test endpoints and inject faults.
 * @example
 * ```ts
 * exposureWarning('0.0.0.0') // 'The Entra emulator listens on 0.0.0.0, beyond this machine: …'
 * ```
 */
export function exposureWarning(host: string): string | undefined {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  const loopback =
    bare === 'localhost' ||
    bare === '::1' ||
    bare === '0:0:0:0:0:0:0:1' ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  if (loopback) return undefined
  return (
    `The Entra emulator listens on ${host}, beyond this machine: anyone who can reach it can mint tokens for its ` +
    'test users, read the test directory and inject faults, and its keys and secrets are not secret. ' +
    'Bind 127.0.0.1 (the default) unless this network is yours alone.'
  )
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}

/**
 * Starts a local Entra ID: HTTPS on loopback (port 0 by default) with a generated CA, default tenant,
 * apps and users, the OBO / client-credentials / refresh-token grants, and fault injection.
 *
 * @example
 * ```ts
 * import { startEmulator } from '@onbehalf/entra-emulator'
 * await using emu = await startEmulator()
 * const assertion = emu.issueUserToken({ user: emu.defaults.users.plain })
 * const res = await emu.fetch(emu.tokenEndpoint(), { method: 'POST', body: new URLSearchParams({ ... }) })
 * ```
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<EntraEmulator> {
  const useHttps = options.https ?? true
  const bindHost = options.host ?? '127.0.0.1'
  const exposure = exposureWarning(bindHost)
  if (exposure !== undefined) process.emitWarning(exposure, { code: EXPOSED_WARNING_CODE })
  const tls = useHttps ? emulatorTlsMaterial() : undefined
  const server: Server =
    tls === undefined
      ? createHttpServer()
      : createHttpsServer({
          key: tls.serverPrivateKeyPem,
          cert: `${tls.serverCertificatePem}${tls.caCertificatePem}`,
        })
  const address = await listen(server, options.port ?? 0, bindHost)
  const hostName = bindHost.includes(':') ? `[${bindHost}]` : bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost
  const host = `${hostName}:${address.port}`
  const authorityHost = `${useHttps ? 'https' : 'http'}://${host}`
  const hostAliases = [
    host,
    ...(hostName === '127.0.0.1'
      ? [`localhost:${address.port}`]
      : hostName === 'localhost'
        ? [`127.0.0.1:${address.port}`]
        : []),
  ]

  const directory = createDirectory({
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
    ...(options.tenantDomain !== undefined ? { tenantDomain: options.tenantDomain } : {}),
  })
  const defaults = registerDefaults(directory)
  for (const t of options.tenants ?? []) directory.addTenant(t)
  for (const a of options.apps ?? []) directory.registerApp(a)
  for (const u of options.users ?? []) directory.addUser(u)

  let lifetimes: TokenLifetimes = { ...DEFAULT_TOKEN_LIFETIMES, ...options.tokenLifetimes }
  const now = options.now ?? Date.now
  const nowSeconds = (): number => Math.floor(now() / 1000)
  const issuer = createTokenIssuer({ authorityHost })
  const refreshTokens = createRefreshTokenStore()
  const mfaPolicyId = guid(options.seed, 'conditional-access-mfa-policy')
  const federation = createFederation({
    issuer,
    authorityHost,
    nowMs: now,
    seed: options.seed,
    isTenantIssuer: (iss) =>
      directory.tenants.some((t) => iss === issuer.issuerFor(t.id)) ||
      // The emulator's tokens name it by 127.0.0.1 or localhost alike.
      hostAliases.some((h) =>
        directory.tenants.some((t) => iss === `${useHttps ? 'https' : 'http'}://${h}/${t.id}/v2.0`),
      ),
  })
  const systemAssignedIdentity = federation.addManagedIdentity({
    tenantId: directory.defaultTenant.id,
    displayName: 'system-assigned',
    kind: 'system-assigned',
  })
  const tokens = createTokenService({
    federation,
    directory,
    issuer,
    refreshTokens,
    lifetimes: () => lifetimes,
    nowSeconds,
    tokenEndpoints: (tenant, segment) =>
      [...new Set([segment, tenant.id, tenant.domain])].flatMap((t) =>
        hostAliases.map((h) => `${useHttps ? 'https' : 'http'}://${h}/${t}/oauth2/v2.0/token`),
      ),
    mfaPolicyId,
    mfaSatisfiedByClaimsRequest: options.mfaSatisfiedByClaimsRequest ?? false,
    assertionClockSkewSeconds: options.assertionClockSkewSeconds ?? 0,
    defaults: () => ({
      middleTierClientId: defaults.middleTier.clientId,
      frontEndClientId: defaults.frontEnd.clientId,
      daemonClientId: defaults.daemon.clientId,
    }),
  })
  const faults = createFaultInjector({ random: options.random ?? Math.random })
  const identityHeader = clientSecretValue(options.seed, 'identity-header')
  const managedIdentityTokenSeconds = options.managedIdentityTokenSeconds ?? 86_400
  const appOf = (app: string | { clientId: string }): EmulatorApp => {
    const clientId = typeof app === 'string' ? app : app.clientId
    const found = directory.findApp(clientId)
    if (found === undefined) throw new TypeError(`no app '${clientId}' in this emulator`)
    return found
  }
  for (const f of options.faults ?? []) faults.inject(f)
  const requestLog = createRequestLog({
    maxEntries: options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS,
    recordSecrets: options.recordSecrets ?? false,
  })

  server.on(
    'request',
    createRequestHandler({
      authorityHost,
      hostAliases,
      directory,
      issuer,
      tokens,
      faults,
      record: requestLog.record,
      identity: {
        federation,
        identityHeader,
        managedIdentityTokenSeconds: () => managedIdentityTokenSeconds,
        nowSeconds,
      },
      ...(options.onRequest !== undefined ? { onFinished: options.onRequest } : {}),
    }),
  )

  const caCertificate = tls?.caCertificatePem ?? ''
  const httpsAgent = tls === undefined ? undefined : createTrustingAgent(caCertificate)
  // Engines validate unknown authority hosts with Entra's instance discovery on the public cloud, as MSAL
  // does: the emulator answers those requests in its place, so validation runs for real, offline.
  const fetchFn = createTrustingFetch({
    ca: caCertificate,
    routes: { 'login.microsoftonline.com': authorityHost },
    ...(httpsAgent !== undefined ? { agent: httpsAgent } : {}),
  })
  const tenantPath = (tenant?: string): string => tenant ?? directory.defaultTenant.id
  let closed: Promise<void> | undefined

  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
      httpsAgent?.destroy()
    })
    return closed
  }

  return {
    authorityHost,
    port: address.port,
    tenantId: directory.defaultTenant.id,
    tenant: directory.defaultTenant,
    authority: `${authorityHost}/${directory.defaultTenant.id}`,
    host,
    caCertificate,
    defaults,
    directory,
    registerApp: (o) => directory.registerApp(o),
    addUser: (o) => directory.addUser(o),
    addTenant: (o) => directory.addTenant(o),
    issueUserToken: (o) => tokens.mintUserToken(o),
    requests: requestLog.requests,
    clearRequests: requestLog.clear,
    requestCounts: requestLog.counts,
    faults,
    get tokenLifetimes() {
      return lifetimes
    },
    setTokenLifetimes: (partial) => {
      lifetimes = { ...lifetimes, ...partial }
    },
    revokeRefreshTokens: (user) =>
      refreshTokens.revokeUser(typeof user === 'string' ? (directory.findUser(user)?.oid ?? user) : user.oid),
    tokenEndpoint: (tenant) => `${authorityHost}/${tenantPath(tenant)}/oauth2/v2.0/token`,
    issuer: (tenant) => `${authorityHost}/${tenantPath(tenant)}/v2.0`,
    issuerV1: (tenant) => v1Issuer(tenantPath(tenant)),
    jwksUri: (tenant) => `${authorityHost}/${tenantPath(tenant)}/discovery/v2.0/keys`,
    openIdConfigurationUrl: (tenant) => `${authorityHost}/${tenantPath(tenant)}/v2.0/.well-known/openid-configuration`,
    mfaClaimsChallenge: mfaClaimsChallenge(mfaPolicyId),
    fetch: fetchFn,
    httpsAgent,
    networkClient: createMsalNetworkClient(fetchFn),
    imdsEndpoint: `${authorityHost}/metadata/identity/oauth2/token`,
    identityEndpoint: `${authorityHost}/msi/token`,
    identityHeader,
    systemAssignedIdentity,
    addManagedIdentity: (o = {}) =>
      federation.addManagedIdentity({
        tenantId: o.tenantId ?? directory.defaultTenant.id,
        ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
        ...(o.displayName !== undefined ? { displayName: o.displayName } : {}),
      }),
    addFederatedCredential: (app, o) => federation.addFederatedCredential(appOf(app), o),
    removeFederatedCredential: (app, name) => federation.removeFederatedCredential(appOf(app), name),
    trustManagedIdentity: (app, identity, o = {}) =>
      federation.addFederatedCredential(appOf(app), {
        issuer: issuer.issuerFor(identity.tenantId),
        subject: identity.principalId,
        audiences: [TOKEN_EXCHANGE_AUDIENCES[0]],
        name: o.name ?? `managed-identity-${identity.displayName}`,
        ...(o.propagationSeconds !== undefined ? { propagationSeconds: o.propagationSeconds } : {}),
      }),
    kubernetesIssuer: federation.kubernetesIssuer,
    issueServiceAccountToken: (o) => federation.mintServiceAccountToken(o),
    registerAgentBlueprint: (o = {}) => {
      const blueprint = directory.registerApp({ appIdUri: true, scopes: ['access_as_user'], ...o })
      federation.markBlueprint(appOf(blueprint.clientId))
      return blueprint
    },
    addAgentIdentity: (o) => {
      const blueprint = appOf(o.blueprintClientId)
      if (!federation.isBlueprint(blueprint.clientId)) {
        throw new TypeError(`app '${blueprint.clientId}' is not an agent identity blueprint (registerAgentBlueprint)`)
      }
      const agent = directory.registerApp({
        tenantId: blueprint.tenantId,
        displayName: o.displayName ?? `Agent of ${blueprint.displayName}`,
        ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
      })
      federation.addAgent(blueprint, appOf(agent.clientId))
      return agent
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/**
 * The emulator's trusting `fetch` (same as `emu.fetch`), for code that is handed an emulator.
 *
 * @example
 * ```ts
 * const jwks = createRemoteJWKSet(new URL(emu.jwksUri()), { [customFetch]: emulatorFetch(emu) })
 * ```
 */
export function emulatorFetch(emu: Pick<EntraEmulator, 'fetch'>): FetchFunction {
  return emu.fetch
}
