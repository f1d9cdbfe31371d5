import type { JWTPayload } from 'jose'
import type { EmulatorApp } from './directory.ts'
import { federationErrors } from './federation-errors.ts'
import { guid, opaqueId } from './ids.ts'
import type { TokenIssuer } from './token-issuer.ts'

/** The token-exchange audiences Entra accepts on federated identity credentials (one per cloud). */
export const TOKEN_EXCHANGE_AUDIENCES = [
  'api://AzureADTokenExchange',
  'api://AzureADTokenExchangeUSGov',
  'api://AzureADTokenExchangeChina',
] as const

/** At most this many federated identity credentials per app, as in Entra. */
export const MAX_FEDERATED_CREDENTIALS = 20

/**
 * A managed identity the emulator's IMDS and App Service endpoints issue tokens for.
 * @example
 * ```ts
 * const mi = emu.addManagedIdentity({ displayName: 'orders-api' })
 * ```
 */
export interface ManagedIdentity {
  /** The identity's client ID (`client_id` on IMDS; `azp` of its tokens). */
  readonly clientId: string
  /** The identity's principal (object) ID: `sub` and `oid` of its tokens, the subject of its FICs. */
  readonly principalId: string
  readonly tenantId: string
  readonly displayName: string
  readonly kind: 'system-assigned' | 'user-assigned'
}

/**
 * A federated identity credential on an app registration (Graph `federatedIdentityCredential`).
 * @example
 * ```ts
 * emu.addFederatedCredential(app.clientId, { issuer: emu.kubernetes.issuer, subject: 'system:serviceaccount:ns:sa' })
 * ```
 */
export interface FederatedCredential {
  readonly name: string
  readonly issuer: string
  readonly subject: string
  /** Exactly one, default `api://AzureADTokenExchange`. */
  readonly audiences: readonly string[]
  /** Epoch ms from which Entra honours it (a new FIC takes time to propagate). */
  readonly activeFrom: number
}

/**
 * Options of `emu.addFederatedCredential`.
 * @example
 * ```ts
 * emu.addFederatedCredential(clientId, { issuer, subject, propagationSeconds: 30 })
 * ```
 */
export interface AddFederatedCredentialOptions {
  readonly issuer: string
  readonly subject: string
  /** Default `['api://AzureADTokenExchange']`; exactly one audience. */
  readonly audiences?: readonly string[]
  readonly name?: string
  /** Answer AADSTS70021 for this long before the credential works, as a fresh one does in Entra. Default 0. */
  readonly propagationSeconds?: number
}

/**
 * Options of `emu.issueServiceAccountToken`.
 * @example
 * ```ts
 * emu.kubernetes.issueServiceAccountToken({ namespace: 'default', serviceAccount: 'api' })
 * ```
 */
export interface ServiceAccountTokenOptions {
  readonly namespace: string
  readonly serviceAccount: string
  /** Default `api://AzureADTokenExchange`. */
  readonly audience?: string
  /** Default 3600 (the projected token's usual lifetime). */
  readonly lifetimeSeconds?: number
}

/**
 * Managed identities, federated identity credentials and agent identities of one emulator, and the tokens
 * they involve.
 * @example
 * ```ts
 * const federation = createFederation({ issuer, kubernetesIssuer, nowMs: Date.now, seed: undefined })
 * ```
 */
export interface Federation {
  readonly managedIdentities: readonly ManagedIdentity[]
  addManagedIdentity(o: {
    tenantId: string
    clientId?: string
    displayName?: string
    kind?: ManagedIdentity['kind']
  }): ManagedIdentity
  /** By client ID, or the system-assigned identity when `clientId` is undefined. */
  findManagedIdentity(clientId: string | undefined): ManagedIdentity | undefined
  /** A managed identity token (as IMDS / App Service return it) for `resource`. */
  mintManagedIdentityToken(identity: ManagedIdentity, resource: string, lifetimeSeconds: number): string
  addFederatedCredential(app: EmulatorApp, o: AddFederatedCredentialOptions): FederatedCredential
  removeFederatedCredential(app: EmulatorApp, name: string): boolean
  federatedCredentials(app: EmulatorApp): readonly FederatedCredential[]
  /** `${authorityHost}/kubernetes`: the emulated cluster's service-account issuer. */
  readonly kubernetesIssuer: string
  mintServiceAccountToken(o: ServiceAccountTokenOptions): string
  markBlueprint(app: EmulatorApp): void
  isBlueprint(clientId: string): boolean
  addAgent(blueprint: EmulatorApp, agent: EmulatorApp): void
  /** The blueprint of an agent identity, or `undefined` when `clientId` is not an agent. */
  blueprintOf(clientId: string): string | undefined
  /** T1: the token a blueprint gets for one of its agents (`client_credentials` + `fmi_path`). */
  mintAgentToken(blueprint: EmulatorApp, agentId: string, tenantId: string, lifetimeSeconds: number): string
  /** The agent claims of a token issued to an agent identity (empty for other apps). */
  agentClaims(app: EmulatorApp, acting: 'autonomous' | 'user'): Record<string, string>
  /**
   * Checks a client assertion that is not self-signed (its `iss` is not the client): a T1 for an agent, else a
   * platform token matched against the app's federated identity credentials like Entra does.
   */
  verifyFederatedAssertion(
    this: void,
    app: EmulatorApp,
    assertion: string,
    claims: JWTPayload,
    nowSeconds: number,
  ): Promise<void>
}

/**
 * Creates the federation state of one emulator.
 * @example
 * ```ts
 * const federation = createFederation({ issuer, authorityHost, nowMs: Date.now, seed: 'demo' })
 * ```
 */
export function createFederation(options: {
  readonly issuer: TokenIssuer
  readonly authorityHost: string
  readonly nowMs: () => number
  readonly seed: string | undefined
  /** Issuers of the emulator's tenants (`${authorityHost}/{tenant}/v2.0`). */
  readonly isTenantIssuer: (issuer: string) => boolean
}): Federation {
  const { issuer } = options
  const identities: ManagedIdentity[] = []
  const credentials = new Map<string, FederatedCredential[]>()
  const blueprints = new Set<string>()
  const agentBlueprint = new Map<string, string>()
  const kubernetesIssuer = `${options.authorityHost}/kubernetes`
  let counter = 0
  const nowSeconds = (): number => Math.floor(options.nowMs() / 1000)

  const trusted = (iss: string): boolean => iss === kubernetesIssuer || options.isTenantIssuer(iss)

  const verifyAgentAssertion = async (
    agent: EmulatorApp,
    blueprintId: string,
    assertion: string,
    claims: JWTPayload,
    now: number,
  ): Promise<void> => {
    const iss = String(claims.iss)
    const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).map(String)
    if (
      !options.isTenantIssuer(iss) ||
      claims.sub !== agent.clientId ||
      claims['azp'] !== blueprintId ||
      !audiences.some((a) => (TOKEN_EXCHANGE_AUDIENCES as readonly string[]).includes(a))
    ) {
      throw federationErrors.noMatchingCredential(iss, String(claims.sub), audiences.join(' '))
    }
    if ((await issuer.verifySignature(assertion)) === undefined) throw federationErrors.badSignature(iss)
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw federationErrors.expired(now, claims.exp)
  }

  return {
    managedIdentities: identities,
    addManagedIdentity(o) {
      const label = `managed-identity-${++counter}`
      const clientId = (o.clientId ?? guid(options.seed, label)).toLowerCase()
      if (identities.some((i) => i.clientId === clientId)) {
        throw new TypeError(`a managed identity with clientId '${clientId}' already exists`)
      }
      const identity: ManagedIdentity = {
        clientId,
        principalId: guid(options.seed, `${label}-principal`),
        tenantId: o.tenantId,
        displayName: o.displayName ?? label,
        kind: o.kind ?? 'user-assigned',
      }
      identities.push(identity)
      return identity
    },
    findManagedIdentity(clientId) {
      if (clientId === undefined) return identities.find((i) => i.kind === 'system-assigned')
      const key = clientId.toLowerCase()
      return identities.find((i) => i.clientId === key)
    },
    mintManagedIdentityToken(identity, resource, lifetimeSeconds) {
      const iat = nowSeconds()
      return issuer.sign({
        aud: resource,
        iss: issuer.issuerFor(identity.tenantId),
        iat,
        nbf: iat,
        exp: iat + lifetimeSeconds,
        aio: opaqueId(24),
        appid: identity.clientId,
        azp: identity.clientId,
        azpacr: '2',
        idtyp: 'app',
        oid: identity.principalId,
        sub: identity.principalId,
        tid: identity.tenantId,
        uti: opaqueId(16),
        ver: '2.0',
        xms_mirid: `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${identity.displayName}`,
      })
    },
    addFederatedCredential(app, o) {
      const list = credentials.get(app.clientId) ?? []
      if (list.length >= MAX_FEDERATED_CREDENTIALS) {
        throw new TypeError(
          `app '${app.clientId}' already has ${MAX_FEDERATED_CREDENTIALS} federated identity credentials (Entra's limit)`,
        )
      }
      const audiences = o.audiences ?? [TOKEN_EXCHANGE_AUDIENCES[0]]
      if (audiences.length !== 1 || audiences[0] === undefined || audiences[0] === '') {
        throw new TypeError('a federated identity credential has exactly one audience')
      }
      for (const [field, value] of [
        ['issuer', o.issuer],
        ['subject', o.subject],
        ['audience', audiences[0]],
      ] as const) {
        if (typeof value !== 'string' || value === '' || value.includes('*')) {
          throw new TypeError(`federated identity credential ${field} must be a non-empty string without wildcards`)
        }
      }
      const name = o.name ?? `fic-${list.length + 1}`
      if (list.some((c) => c.name === name)) {
        throw new TypeError(`app '${app.clientId}' already has a federated identity credential named '${name}'`)
      }
      if (list.some((c) => c.issuer === o.issuer && c.subject === o.subject)) {
        throw new TypeError(
          `app '${app.clientId}' already has a federated identity credential for this issuer and subject`,
        )
      }
      const credential: FederatedCredential = {
        name,
        issuer: o.issuer,
        subject: o.subject,
        audiences: [...audiences],
        activeFrom: options.nowMs() + (o.propagationSeconds ?? 0) * 1000,
      }
      credentials.set(app.clientId, [...list, credential])
      return credential
    },
    removeFederatedCredential(app, name) {
      const list = credentials.get(app.clientId) ?? []
      const kept = list.filter((c) => c.name !== name)
      credentials.set(app.clientId, kept)
      return kept.length !== list.length
    },
    federatedCredentials: (app) => credentials.get(app.clientId) ?? [],
    kubernetesIssuer,
    mintServiceAccountToken(o) {
      const iat = nowSeconds()
      return issuer.sign({
        aud: [o.audience ?? TOKEN_EXCHANGE_AUDIENCES[0]],
        iss: kubernetesIssuer,
        iat,
        nbf: iat,
        exp: iat + (o.lifetimeSeconds ?? 3600),
        sub: `system:serviceaccount:${o.namespace}:${o.serviceAccount}`,
        'kubernetes.io': {
          namespace: o.namespace,
          serviceaccount: { name: o.serviceAccount, uid: guid(options.seed, `sa:${o.namespace}:${o.serviceAccount}`) },
        },
      })
    },
    markBlueprint: (app) => {
      blueprints.add(app.clientId)
    },
    isBlueprint: (clientId) => blueprints.has(clientId.toLowerCase()),
    addAgent: (blueprint, agent) => {
      agentBlueprint.set(agent.clientId, blueprint.clientId)
    },
    blueprintOf: (clientId) => agentBlueprint.get(clientId.toLowerCase()),
    mintAgentToken(blueprint, agentId, tenantId, lifetimeSeconds) {
      const iat = nowSeconds()
      return issuer.sign({
        aud: TOKEN_EXCHANGE_AUDIENCES[0],
        iss: issuer.issuerFor(tenantId),
        iat,
        nbf: iat,
        exp: iat + lifetimeSeconds,
        azp: blueprint.clientId,
        appid: blueprint.clientId,
        idtyp: 'app',
        oid: blueprint.servicePrincipalId,
        sub: agentId,
        tid: tenantId,
        uti: opaqueId(16),
        ver: '2.0',
        fmi_path: agentId,
      })
    },
    agentClaims(app, acting) {
      const blueprintId = agentBlueprint.get(app.clientId)
      if (blueprintId === undefined) return {}
      // The facet values are those of Microsoft's published sample tokens; resource APIs test their presence.
      return {
        xms_act_fct: '3 9 11',
        xms_sub_fct: acting === 'user' ? '1' : '9 3 11',
        xms_par_app_azp: blueprintId,
        xms_idrel: acting === 'user' ? '1 7' : '7 10',
      }
    },
    async verifyFederatedAssertion(app, assertion, claims, now) {
      const blueprintId = agentBlueprint.get(app.clientId)
      if (blueprintId !== undefined) {
        await verifyAgentAssertion(app, blueprintId, assertion, claims, now)
        return
      }
      const iss = typeof claims.iss === 'string' ? claims.iss : ''
      const sub = typeof claims.sub === 'string' ? claims.sub : ''
      const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter(
        (a): a is string => typeof a === 'string',
      )
      const nowMs = options.nowMs()
      // Entra matches case-sensitively, with no wildcards.
      const match = (credentials.get(app.clientId) ?? []).find(
        (c) =>
          c.activeFrom <= nowMs &&
          c.issuer === iss &&
          c.subject === sub &&
          audiences.some((a) => c.audiences.includes(a)),
      )
      if (match === undefined) throw federationErrors.noMatchingCredential(iss, sub, audiences.join(' '))
      if (!trusted(iss)) throw federationErrors.unknownIssuer(iss)
      if ((await issuer.verifySignature(assertion)) === undefined) throw federationErrors.badSignature(iss)
      if (
        typeof claims.exp !== 'number' ||
        claims.exp <= now ||
        (typeof claims.nbf === 'number' && claims.nbf > now + 300)
      ) {
        throw federationErrors.expired(now, typeof claims.exp === 'number' ? claims.exp : undefined)
      }
    },
  }
}
