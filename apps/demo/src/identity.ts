/**
 * Where identities come from: the local Entra emulator (default), or a real Entra tenant when the
 * environment names one. Everything else in the demo is the same code in both modes.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import type { ClientCredentialOptions, EngineFactory } from '@onbehalf/azure'
import { managedIdentityAssertion } from '@onbehalf/federated'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { createMsalEngine } from '@onbehalf/msal'
import { createProtectedApi, type ProtectedApi } from '@onbehalf/server'
import { DemoError, realTenantGuide } from './demo-error.ts'
import { isAddressInUse, portInUse } from './listen.ts'

/** A test user the page offers (emulator mode only). */
export interface DemoUser {
  /** Stable id the page and the check use: `plain`, `mfa`, `consent`. */
  readonly id: string
  readonly name: string
  readonly username: string
  readonly oid: string
  /** What happens when this user calls the middle tier. */
  readonly scenario: string
}

/** An app registration the page can name when its client ID or App ID URI shows up in a token (`aud`, `azp`). */
export interface DemoApp {
  /** Display name, e.g. `Middle-tier API (emulated)`. */
  readonly name: string
  /** Client ID and App ID URIs. */
  readonly ids: readonly string[]
}

/** Everything the servers need to know about the identity provider and the two apps. */
export interface IdentitySetup {
  readonly mode: 'emulator' | 'entra'
  /** https origin of the authority, e.g. `https://login.microsoftonline.com`. */
  readonly authorityHost: string
  readonly tenantId: string
  /** From the tenant's OpenID configuration. */
  readonly issuer: string
  readonly jwksUri: string
  /** Extra accepted `iss` values (v1 tokens: `https://sts.windows.net/{tid}/`). */
  readonly extraIssuers: readonly string[]
  /** The authorize endpoint clients are sent to by a challenge. */
  readonly authorizationUri: string
  /** `fetch` for Entra/emulator calls: the emulator's trusts its CA; undefined = the global one. */
  readonly fetch: typeof globalThis.fetch | undefined
  readonly middleTier: {
    readonly clientId: string
    /** `aud` values the middle tier accepts (client ID, App ID URI). */
    readonly audiences: readonly string[]
    /** Delegated scope name callers need, e.g. `access_as_user`. */
    readonly scope: string
    readonly clientSecret?: string
    readonly clientCertificate?: string | Uint8Array
    readonly clientCertificatePassword?: string
    /** A secretless client assertion (managed identity), instead of a secret or certificate. */
    readonly getClientAssertion?: () => Promise<string>
    /** Which client credential the middle tier presents, for the page. */
    readonly credentialKind: ClientCredentialKind
    readonly disableInstanceDiscovery: boolean
    readonly engine?: EngineFactory
  }
  readonly downstream: {
    /** `aud` values the downstream accepts. */
    readonly audiences: readonly string[]
    /** What the middle tier asks OBO for (fully qualified). */
    readonly scopes: readonly string[]
    /** The delegated scope name the downstream requires in `scp`. */
    readonly scope: string
  }
  readonly users: readonly DemoUser[]
  /** The app registrations the demo knows (front end, middle tier, downstream), to name them on the page. */
  readonly apps: readonly DemoApp[]
  /**
   * Stands in for the front end's sign-in (MSAL.js in a real SPA): a user access token for the middle tier.
   * `claims` is the claims request of a challenge the user satisfies (e.g. MFA). Emulator mode only.
   */
  readonly signIn: ((userId: string, claims?: string) => Promise<string>) | undefined
  /** The emulator, in emulator mode (tests count its token requests). */
  readonly emulator: EntraEmulator | undefined
  close(): Promise<void>
}

/** Environment variables that switch the demo to a real tenant (see the README). */
export interface EntraEnvironment {
  readonly AZURE_TENANT_ID?: string | undefined
  readonly AZURE_AUTHORITY_HOST?: string | undefined
  readonly MIDDLE_TIER_CLIENT_ID?: string | undefined
  readonly MIDDLE_TIER_CLIENT_SECRET?: string | undefined
  readonly MIDDLE_TIER_CERTIFICATE_PATH?: string | undefined
  readonly MIDDLE_TIER_CERTIFICATE_PASSWORD?: string | undefined
  readonly MIDDLE_TIER_APP_ID_URI?: string | undefined
  readonly MIDDLE_TIER_SCOPE?: string | undefined
  readonly DOWNSTREAM_APP_ID_URI?: string | undefined
  readonly DOWNSTREAM_CLIENT_ID?: string | undefined
  readonly DOWNSTREAM_SCOPE?: string | undefined
  readonly ONBEHALF_ENGINE?: string | undefined
  /** `managed-identity`: the middle tier holds no secret (emulator: its IMDS; Azure: the host's identity). */
  readonly ONBEHALF_CLIENT_CREDENTIAL?: string | undefined
  /** Client ID of a user-assigned managed identity (with `ONBEHALF_CLIENT_CREDENTIAL=managed-identity`). */
  readonly MANAGED_IDENTITY_CLIENT_ID?: string | undefined
  readonly DISABLE_INSTANCE_DISCOVERY?: string | undefined
  readonly [name: string]: string | undefined
}

/**
 * The variables that mean "use a real tenant". `AZURE_TENANT_ID` alone does not: Azure SDK set-ups often have it
 * for other reasons, and the demo should not leave the emulator because of it.
 */
const realTenantSwitches = [
  'MIDDLE_TIER_CLIENT_ID',
  'MIDDLE_TIER_CLIENT_SECRET',
  'MIDDLE_TIER_CERTIFICATE_PATH',
  'DOWNSTREAM_APP_ID_URI',
] as const

/**
 * `true` when the environment asks for a real tenant: any of `MIDDLE_TIER_CLIENT_ID`, `MIDDLE_TIER_CLIENT_SECRET`,
 * `MIDDLE_TIER_CERTIFICATE_PATH` or `DOWNSTREAM_APP_ID_URI` is set. {@link entraIdentity} then reports every
 * variable still missing at once.
 *
 * @example
 * ```ts
 * const identity = usesRealEntra(process.env) ? await entraIdentity(process.env) : await emulatorIdentity()
 * ```
 */
export function usesRealEntra(env: EntraEnvironment): boolean {
  return realTenantSwitches.some((name) => nonEmpty(env[name]) !== undefined)
}

/** The middle tier's client credential, as the page shows it. */
export type ClientCredentialKind = 'client secret' | 'certificate' | 'managed identity'

function secretless(env: EntraEnvironment): boolean {
  const name = nonEmpty(env.ONBEHALF_CLIENT_CREDENTIAL)
  if (name === undefined || name === 'secret') return false
  if (name === 'managed-identity') return true
  throw new DemoError(
    'INVALID_CONFIGURATION',
    `ONBEHALF_CLIENT_CREDENTIAL must be 'secret' or 'managed-identity', not '${name}'.`,
  )
}

function engineFrom(env: EntraEnvironment): EngineFactory | undefined {
  const name = nonEmpty(env.ONBEHALF_ENGINE)
  if (name === undefined || name === 'jose') return undefined
  if (name === 'msal') return createMsalEngine()
  throw new DemoError('INVALID_CONFIGURATION', `ONBEHALF_ENGINE must be 'jose' or 'msal', not '${name}'.`)
}

/**
 * Starts the emulator (loopback, port 0 unless given) and describes its default apps and users.
 *
 * @example
 * ```ts
 * const identity = await emulatorIdentity()
 * const token = await identity.signIn!('plain')
 * ```
 */
export async function emulatorIdentity(
  options: { readonly port?: number; readonly env?: EntraEnvironment } = {},
): Promise<IdentitySetup> {
  const port = options.port ?? 0
  const emu = await startEmulator({ port, seed: 'onbehalf-demo' }).catch(async (error: unknown) => {
    throw isAddressInUse(error) ? await portInUse(port, 'DEMO_EMULATOR_PORT', error) : error
  })
  try {
    const { middleTier, downstream, users, frontEnd } = emu.defaults
    const demoUsers = [
      { id: 'plain', user: users.plain, scenario: 'OBO succeeds; the second call is a cache hit.' },
      {
        id: 'mfa',
        user: users.mfa,
        scenario: 'Conditional Access requires MFA: a claims challenge, then success after step-up.',
      },
      { id: 'consent', user: users.consentMissing, scenario: 'Has not consented: Entra answers AADSTS65001.' },
    ] as const
    const fetchFn: typeof globalThis.fetch = emu.fetch
    // Secretless: the middle tier presents the host's managed identity token (the emulator's IMDS), which its
    // app registration trusts through a federated identity credential.
    let middleTierCredential:
      | { clientSecret: string; credentialKind: ClientCredentialKind }
      | {
          getClientAssertion: () => Promise<string>
          credentialKind: ClientCredentialKind
        } = { clientSecret: middleTier.clientSecret, credentialKind: 'client secret' }
    if (secretless(options.env ?? {})) {
      emu.trustManagedIdentity(middleTier.clientId, emu.systemAssignedIdentity)
      middleTierCredential = {
        getClientAssertion: managedIdentityAssertion({ endpoint: emu.imdsEndpoint, fetch: fetchFn }),
        credentialKind: 'managed identity',
      }
    }
    const discovery = await discover(emu.authorityHost, emu.tenantId, fetchFn)
    const downstreamScope = downstream.scopes.find((s) => s.endsWith('/Documents.Read')) ?? downstream.scopes[0]
    if (downstreamScope === undefined) throw new Error('the emulator registered no downstream scope')
    return {
      mode: 'emulator',
      authorityHost: emu.authorityHost,
      tenantId: emu.tenantId,
      ...discovery,
      extraIssuers: [],
      fetch: fetchFn,
      middleTier: {
        clientId: middleTier.clientId,
        audiences: [middleTier.clientId, middleTier.appIdUri],
        scope: 'access_as_user',
        ...middleTierCredential,
        disableInstanceDiscovery: true,
        ...optionalEngine(engineFrom(options.env ?? {})),
      },
      downstream: {
        audiences: [downstream.clientId, downstream.appIdUri],
        scopes: [downstreamScope],
        scope: downstreamScope.slice(downstreamScope.lastIndexOf('/') + 1),
      },
      users: demoUsers.map(({ id, user, scenario }) => ({
        id,
        name: user.name,
        username: user.upn,
        oid: user.oid,
        scenario,
      })),
      apps: [frontEnd.app, middleTier.app, downstream.app].map((app) => ({
        name: app.displayName,
        ids: [app.clientId, ...app.identifierUris],
      })),
      signIn: async (userId, claims) => {
        const entry = demoUsers.find((u) => u.id === userId)
        if (entry === undefined) throw new TypeError(`unknown demo user '${userId}'`)
        return emu.issueUserToken({ user: entry.user, ...(claims === undefined ? {} : { claims }) })
      },
      emulator: emu,
      close: () => emu.close(),
    }
  } catch (error) {
    await emu.close()
    throw error
  }
}

/**
 * Describes a real tenant from the environment (nothing is started). The front end is yours: callers send
 * tokens for the middle tier they got from Entra themselves.
 *
 * @example
 * ```ts
 * const identity = await entraIdentity(process.env)
 * ```
 */
export async function entraIdentity(
  env: EntraEnvironment,
  options: {
    /** `fetch` for discovery, JWKS and token requests; default the global one (public CAs). */
    readonly fetch?: typeof globalThis.fetch
  } = {},
): Promise<IdentitySetup> {
  const config = await readRealTenantConfig(env)
  const { tenantId, clientId, downstreamAppIdUri, secret, certificate, managedIdentity } = config
  const miClientId = nonEmpty(env.MANAGED_IDENTITY_CLIENT_ID)
  const authorityHost = (nonEmpty(env.AZURE_AUTHORITY_HOST) ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')
  const discovery = await discover(authorityHost, tenantId, options.fetch)
  const downstreamScope = nonEmpty(env.DOWNSTREAM_SCOPE) ?? `${downstreamAppIdUri}/Documents.Read`
  const downstreamClientId = nonEmpty(env.DOWNSTREAM_CLIENT_ID)
  const middleTierAppIdUri = nonEmpty(env.MIDDLE_TIER_APP_ID_URI) ?? `api://${clientId}`
  const password = nonEmpty(env.MIDDLE_TIER_CERTIFICATE_PASSWORD)
  const downstreamAudiences = [downstreamAppIdUri, ...(downstreamClientId === undefined ? [] : [downstreamClientId])]
  return {
    mode: 'entra',
    authorityHost,
    tenantId,
    ...discovery,
    // Apps whose manifest leaves accessTokenAcceptedVersion at null/1 get v1 tokens (another issuer).
    extraIssuers: [`https://sts.windows.net/${tenantId}/`],
    fetch: options.fetch,
    middleTier: {
      clientId,
      audiences: [clientId, middleTierAppIdUri],
      scope: nonEmpty(env.MIDDLE_TIER_SCOPE) ?? 'access_as_user',
      ...(secret === undefined ? {} : { clientSecret: secret }),
      ...(certificate === undefined ? {} : { clientCertificate: certificate }),
      ...(managedIdentity
        ? { getClientAssertion: managedIdentityAssertion(miClientId === undefined ? {} : { clientId: miClientId }) }
        : {}),
      credentialKind: managedIdentity ? 'managed identity' : secret !== undefined ? 'client secret' : 'certificate',
      ...(password === undefined ? {} : { clientCertificatePassword: password }),
      // Private clouds and Azure Stack have no instance discovery.
      disableInstanceDiscovery: /^(1|true|yes)$/i.test(nonEmpty(env.DISABLE_INSTANCE_DISCOVERY) ?? ''),
      ...optionalEngine(config.engine),
    },
    downstream: {
      audiences: downstreamAudiences,
      scopes: [downstreamScope],
      scope: downstreamScope.slice(downstreamScope.lastIndexOf('/') + 1),
    },
    users: [],
    // The registrations' display names live in the tenant, not in the environment: name them by role.
    apps: [
      { name: 'middle tier (MIDDLE_TIER_CLIENT_ID)', ids: [clientId, middleTierAppIdUri] },
      { name: 'downstream API (DOWNSTREAM_APP_ID_URI)', ids: downstreamAudiences },
    ],
    signIn: undefined,
    emulator: undefined,
    close: () => Promise.resolve(),
  }
}

/** What {@link readRealTenantConfig} read: every required value present and valid. */
interface RealTenantConfig {
  readonly tenantId: string
  readonly clientId: string
  readonly downstreamAppIdUri: string
  readonly secret: string | undefined
  readonly certificate: Uint8Array | undefined
  readonly managedIdentity: boolean
  readonly engine: EngineFactory | undefined
}

/** The variables real-tenant mode requires, with what to put in them. */
const requiredRealTenantVariables = [
  ['AZURE_TENANT_ID', "your tenant's ID (GUID) or domain, e.g. contoso.onmicrosoft.com"],
  ['MIDDLE_TIER_CLIENT_ID', "the middle tier app registration's Application (client) ID"],
  ['DOWNSTREAM_APP_ID_URI', "the downstream API registration's App ID URI, e.g. api://contoso-documents"],
] as const

/**
 * Reads and checks the real-tenant variables, all of them before failing: one {@link DemoError} lists every
 * missing or wrong variable, so a person fixes them in one go instead of one start-up at a time.
 */
async function readRealTenantConfig(env: EntraEnvironment): Promise<RealTenantConfig> {
  const problems: string[] = []
  const values = new Map<string, string>()
  for (const [name, meaning] of requiredRealTenantVariables) {
    const value = nonEmpty(env[name])
    if (value === undefined) problems.push(`${name} is not set: ${meaning}.`)
    else values.set(name, value)
  }
  const secret = nonEmpty(env.MIDDLE_TIER_CLIENT_SECRET)
  const certificatePath = nonEmpty(env.MIDDLE_TIER_CERTIFICATE_PATH)
  const managedIdentity = attempt(problems, () => secretless(env)) ?? false
  const engine = attempt(problems, () => engineFrom(env))
  const credentials = [secret, certificatePath, managedIdentity ? true : undefined].filter((c) => c !== undefined)
  const credentialNames =
    'MIDDLE_TIER_CLIENT_SECRET, MIDDLE_TIER_CERTIFICATE_PATH or ONBEHALF_CLIENT_CREDENTIAL=managed-identity'
  if (credentials.length === 0) {
    problems.push(`No client credential for the middle tier: set exactly one of ${credentialNames}.`)
  } else if (credentials.length > 1) {
    problems.push(`More than one client credential for the middle tier: set exactly one of ${credentialNames}.`)
  }
  let certificate: Uint8Array | undefined
  if (certificatePath !== undefined) {
    try {
      certificate = await readFile(certificatePath)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      problems.push(
        `MIDDLE_TIER_CERTIFICATE_PATH cannot be read (${typeof code === 'string' ? code : 'unreadable'}: ${certificatePath}); it must be a PEM (key + certificate) or PKCS#12 file.`,
      )
    }
  }
  const tenantId = values.get('AZURE_TENANT_ID')
  const clientId = values.get('MIDDLE_TIER_CLIENT_ID')
  const downstreamAppIdUri = values.get('DOWNSTREAM_APP_ID_URI')?.replace(/\/+$/, '')
  if (problems.length > 0 || tenantId === undefined || clientId === undefined || downstreamAppIdUri === undefined) {
    const set = realTenantSwitches.filter((name) => nonEmpty(env[name]) !== undefined)
    throw new DemoError(
      'INVALID_CONFIGURATION',
      [
        `The demo cannot start against a real Entra tenant (real-tenant mode, because ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set):`,
        ...problems.map((problem) => `  - ${problem}`),
        `How to register the apps (middle tier, downstream API, client) and set these variables: ${realTenantGuide} (and apps/demo/README.md).`,
        'To use the local Entra emulator instead, unset the MIDDLE_TIER_* and DOWNSTREAM_* variables and run `pnpm demo`.',
      ].join('\n'),
    )
  }
  return { tenantId, clientId, downstreamAppIdUri, secret, certificate, managedIdentity, engine }
}

/** Runs a check that throws a {@link DemoError}; records its message instead of throwing. */
function attempt<T>(problems: string[], check: () => T): T | undefined {
  try {
    return check()
  } catch (error) {
    if (!(error instanceof DemoError)) throw error
    problems.push(error.message)
    return undefined
  }
}

function optionalEngine(engine: EngineFactory | undefined): { engine?: EngineFactory } {
  return engine === undefined ? {} : { engine }
}

async function discover(
  authorityHost: string,
  tenantId: string,
  fetchFn: typeof globalThis.fetch | undefined,
): Promise<{ issuer: string; jwksUri: string; authorizationUri: string }> {
  const url = `${authorityHost}/${tenantId}/v2.0/.well-known/openid-configuration`
  let response: Response
  try {
    response = await (fetchFn ?? globalThis.fetch)(url, { signal: AbortSignal.timeout(10_000) })
  } catch (error) {
    throw unreachable(authorityHost, error)
  }
  if (!response.ok) {
    throw new DemoError(
      'INVALID_CONFIGURATION',
      `The OpenID configuration at ${url} answered HTTP ${String(response.status)}: check AZURE_TENANT_ID${authorityHost === 'https://login.microsoftonline.com' ? '' : ' and AZURE_AUTHORITY_HOST'} (see ${realTenantGuide}).`,
    )
  }
  const document = (await response.json()) as Record<string, unknown>
  const issuer = document['issuer']
  const jwksUri = document['jwks_uri']
  const authorizationUri = document['authorization_endpoint']
  if (typeof issuer !== 'string' || typeof jwksUri !== 'string') {
    throw new Error(`OpenID configuration at ${url} lacks issuer or jwks_uri.`)
  }
  return {
    issuer,
    jwksUri,
    authorizationUri:
      typeof authorizationUri === 'string' ? authorizationUri : `${authorityHost}/${tenantId}/oauth2/v2.0/authorize`,
  }
}

/**
 * The error for an identity provider that does not answer at all: names the host and the network reason, the
 * likely causes, and how to run the demo without a network.
 *
 * @example
 * ```ts
 * throw unreachable('https://login.microsoftonline.com', error)
 * ```
 */
export function unreachable(authorityHost: string, error: unknown): DemoError {
  const host = URL.canParse(authorityHost) ? new URL(authorityHost).host : authorityHost
  return new DemoError(
    'IDENTITY_PROVIDER_UNREACHABLE',
    [
      `Cannot reach ${host} (${networkReason(error)}) to read the tenant's OpenID configuration.`,
      "No network? A proxy or firewall in the way (Node's fetch does not use HTTPS_PROXY by itself)? A wrong AZURE_AUTHORITY_HOST?",
      'To try the demo offline, use the local Entra emulator: unset the MIDDLE_TIER_* and DOWNSTREAM_* variables and run `pnpm demo`.',
    ].join('\n'),
    { cause: error },
  )
}

/** `ENOTFOUND`, `ECONNREFUSED`, a timeout…: the innermost reason a `fetch` failed, without a stack. */
function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'no answer within 10 s'
  }
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const { code } = current as { code?: unknown }
    if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR\w*)$/.test(code)) return code
    current = current.cause
  }
  return error instanceof Error ? error.message : String(error)
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/**
 * A validation-only protected API (no client credential) for this identity provider: issuers (v1 and v2) and keys
 * from the tenant's metadata, audience = the first of `audiences` (client ID) or any of them (App ID URIs), and
 * optionally only tokens whose `azp`/`appid` is one of `allowedClientApps`.
 *
 * @example
 * ```ts
 * const api = validatingApi(identity, identity.downstream.audiences, [identity.middleTier.clientId])
 * ```
 */
export function validatingApi(
  identity: IdentitySetup,
  audiences: readonly string[],
  allowedClientApps?: readonly string[],
): ProtectedApi {
  return createProtectedApi({
    tenantId: identity.tenantId,
    clientId: audiences[0] ?? '',
    appIdUri: audiences,
    authority: identity.authorityHost,
    ...(identity.fetch === undefined ? {} : { fetch: identity.fetch }),
    ...(allowedClientApps === undefined ? {} : { allowedClientApps }),
  })
}

/** The middle tier's client credential fields as configurations hold them: each optional, one of them set. */
export interface MiddleTierCredentialFields {
  readonly clientSecret?: string | undefined
  readonly clientCertificate?: string | Uint8Array | undefined
  readonly clientCertificatePassword?: string | undefined
  readonly getClientAssertion?: (() => Promise<string>) | undefined
}

/**
 * The one client credential a middle-tier configuration holds, in the shape `OnBehalfOfCredential` and
 * `createProtectedApi` accept (their types take exactly one credential, never a possibly undefined one).
 *
 * @throws TypeError when the configuration holds no credential or more than one.
 * @example
 * ```ts
 * new OnBehalfOfCredential(tenantId, clientId, { userAssertion, ...clientCredentialOf(identity.middleTier) })
 * ```
 */
export function clientCredentialOf(
  fields: MiddleTierCredentialFields,
): ClientCredentialOptions & { readonly password?: string } {
  const { clientSecret, clientCertificate, clientCertificatePassword: password, getClientAssertion } = fields
  const given = [clientSecret, clientCertificate, getClientAssertion].filter((value) => value !== undefined).length
  if (given === 1 && clientSecret !== undefined) return { clientSecret }
  if (given === 1 && clientCertificate !== undefined) {
    return { clientCertificate, ...(password === undefined ? {} : { password }) }
  }
  if (given === 1 && getClientAssertion !== undefined) return { getClientAssertion }
  throw new TypeError(
    `The middle tier needs exactly one client credential (a client secret, a certificate or a client assertion); it has ${String(given)}.`,
  )
}
