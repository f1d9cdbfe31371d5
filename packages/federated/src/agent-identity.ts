/**
 * Entra Agent ID: an agent identity acting for a user. The agent's blueprint (an app holding the credential)
 * asks `client_credentials` with `fmi_path=<agent id>` for T1, a token for that agent; the OBO exchange then
 * runs with `client_id = <agent id>` and `client_assertion = T1`, the user's token having `aud = <blueprint>`.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'
import {
  assertTenantId,
  callClientAssertion,
  callbackIdentity,
  checkTokenAnswer,
  engineAuthorityHost,
  fetchAttempt,
  parseJsonObject,
  retryTransient,
  secretIdentity,
  sha256Hex,
  tokenResultFromBody,
} from '@onbehalf/core/engine'
import { defaultTokenExchangeAudience } from './audiences.ts'
import { certificateAssertionSigner, type BlueprintCertificate } from './blueprint-certificate.ts'
import { processEnvironment, setting, type Environment } from './environment.ts'
import type { ClientAssertionCallback } from './managed-identity.ts'
import { createPlatformTokenCache, type PlatformToken, type PlatformTokenCacheOptions } from './platform-token.ts'

/**
 * How the blueprint authenticates its T1 requests: exactly one of its client secret, its certificate (needs the
 * optional peer `@onbehalf/certificate`), or a client-assertion callback (a managed identity or workload identity
 * callback of this package, or your own signed assertion). None, two, or a value whose type allows `undefined`
 * does not compile (and fails at run time with `INVALID_ARGUMENT` for JavaScript callers).
 *
 * @example
 * ```ts
 * const blueprint: BlueprintCredential = { getClientAssertion: managedIdentityAssertion() }
 * const withCertificate: BlueprintCredential = { clientCertificate: await readFile('blueprint.pem') }
 * ```
 */
export type BlueprintCredential =
  | {
      /** The blueprint app's client secret. */
      readonly clientSecret: string
      readonly clientCertificate?: undefined
      readonly getClientAssertion?: undefined
    }
  | (BlueprintCertificate & { readonly clientSecret?: undefined; readonly getClientAssertion?: undefined })
  | {
      readonly clientSecret?: undefined
      readonly clientCertificate?: undefined
      /** Returns a signed client assertion for the blueprint (e.g. `managedIdentityAssertion()`). */
      readonly getClientAssertion: () => string | Promise<string>
    }

/** Options of {@link agentIdentityAssertion}. */
export interface AgentIdentityAssertionOptions extends PlatformTokenCacheOptions {
  /** The tenant of the blueprint and the agent identity. */
  readonly tenantId: string
  /** The agent identity blueprint's application (client) ID. */
  readonly blueprintClientId: string
  /** The agent identity's ID: the `client_id` of the OBO exchange and the `fmi_path` of T1. */
  readonly agentId: string
  /** The blueprint's own credential. */
  readonly blueprint: BlueprintCredential
  /** Authority host (https origin); default `AZURE_AUTHORITY_HOST` or `https://login.microsoftonline.com`. */
  readonly authority?: string
  /** The token-exchange audience of the cloud; default `api://AzureADTokenExchange`. */
  readonly audience?: string
  /** The `fetch` for T1 requests; default the global one. */
  readonly fetch?: typeof globalThis.fetch
  /** Whole-request limit of a T1 request in milliseconds, retries included; default 30 s. */
  readonly timeoutMs?: number
  /** Environment to read `AZURE_AUTHORITY_HOST` from; default `process.env`. */
  readonly env?: Environment
}

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const maxAnswerBytes = 1024 * 1024
/** Agent callbacks kept per process (one per blueprint + agent); the least recently created goes first. */
export const maxCachedAgents = 1_000
const agents = new Map<string, ClientAssertionCallback>()

/**
 * A `getClientAssertion` callback for an agent identity: returns T1 for `agentId`, fetched with the
 * blueprint's credential, cached until shortly before it expires and fetched once under concurrency. Use it
 * with `clientId = agentId`; the user's token must be for the blueprint. Callbacks are shared per process for
 * the same blueprint, credential and agent (bounded to {@link maxCachedAgents}), so calling this per request
 * still fetches T1 once per agent per lifetime and keeps one OBO cache entry per user.
 *
 * @throws OboError `INVALID_ARGUMENT` / `INVALID_AUTHORITY` at creation for a bad option; from the callback the
 *   T1 request's errors (`OAuthError` with the AADSTS codes, e.g. 70021 when no federated credential matches
 *   the blueprint's assertion; `NETWORK_ERROR`, `TIMEOUT`).
 * @example
 * ```ts
 * import { OnBehalfOfCredential } from '@onbehalf/azure'
 * import { agentIdentityAssertion, managedIdentityAssertion } from '@onbehalf/federated'
 *
 * const blueprint = { getClientAssertion: managedIdentityAssertion() }
 * const credential = new OnBehalfOfCredential(tenantId, agentId, {
 *   userAssertion, // aud = the blueprint
 *   getClientAssertion: agentIdentityAssertion({ tenantId, blueprintClientId, agentId, blueprint }),
 * })
 * ```
 */
export function agentIdentityAssertion(options: AgentIdentityAssertionOptions): ClientAssertionCallback {
  const { tenantId, blueprintClientId, agentId } = options
  try {
    assertTenantId(tenantId)
  } catch (error) {
    throw new OboError('tenantId must be the tenant ID (GUID) or domain of the blueprint.', {
      code: 'INVALID_ARGUMENT',
      cause: error,
    })
  }
  for (const [name, value] of [
    ['blueprintClientId', blueprintClientId],
    ['agentId', agentId],
  ] as const) {
    if (typeof value !== 'string' || value.trim() === '') {
      throw new OboError(
        `${name} is required: ${name === 'agentId' ? 'the agent identity ID' : "the blueprint's client ID"}.`,
        {
          code: 'INVALID_ARGUMENT',
        },
      )
    }
  }
  const authorityHost = engineAuthorityHost(
    options.authority ??
      setting(options.env ?? processEnvironment(), 'AZURE_AUTHORITY_HOST') ??
      'https://login.microsoftonline.com',
  )
  const audience = options.audience ?? defaultTokenExchangeAudience
  const credential = blueprintParameters(options.blueprint, blueprintClientId)
  const key = sha256Hex(
    [
      authorityHost,
      tenantId.toLowerCase(),
      blueprintClientId.toLowerCase(),
      credential.identity,
      agentId.toLowerCase(),
      audience,
      options.fetch === undefined ? '' : callbackIdentity(options.fetch, 'agent-fetch'),
    ].join('|'),
  )
  const existing = agents.get(key)
  if (existing !== undefined) return existing

  const fetchFn = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? 30_000
  const tokenEndpoint = `${authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`
  const scope = `${audience}/.default`

  const fetchT1 = async (): Promise<PlatformToken> => {
    const form = new URLSearchParams({
      client_id: blueprintClientId,
      scope,
      grant_type: 'client_credentials',
      fmi_path: agentId,
      ...(await credential.parameters(tokenEndpoint)),
    })
    const sentAt = Date.now()
    const answer = await retryTransient({
      policy: { maxAttempts: 3, deadlineMs: timeoutMs, baseDelayMs: 250, maxDelayMs: 4_000 },
      attempt: (deadlineAt) =>
        fetchAttempt({
          fetch: fetchFn,
          method: 'POST',
          url: tokenEndpoint,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
          body: form.toString(),
          deadlineAt,
          timeoutMs,
          maxBytes: maxAnswerBytes,
          target: 'authority',
        }),
    })
    const body = checkTokenAnswer({
      status: answer.status,
      body: parseJsonObject(answer.text),
      retryAfterMs: answer.retryAfterMs,
    })
    const result = tokenResultFromBody(body, { requestedScopes: [scope], sentAt })
    return { token: result.accessToken, expiresAt: result.expiresAt }
  }

  const cache = createPlatformTokenCache(fetchT1, options)
  const callback = (): Promise<string> => cache.get()
  Object.defineProperty(callback, 'platformRequests', { get: () => cache.fetches, enumerable: true })
  const made = callback as ClientAssertionCallback
  agents.set(key, made)
  if (agents.size > maxCachedAgents) {
    const oldest = agents.keys().next()
    if (oldest.done !== true) agents.delete(oldest.value)
  }
  return made
}

interface BlueprintParameters {
  /** Secret-free identity of the credential, for sharing T1 caches. */
  readonly identity: string
  parameters(tokenEndpoint: string): Promise<Record<string, string>>
}

function blueprintParameters(blueprint: BlueprintCredential, blueprintClientId: string): BlueprintParameters {
  const given = blueprint as
    | { clientSecret?: unknown; getClientAssertion?: unknown; clientCertificate?: unknown; password?: unknown }
    | undefined
  const secret = given?.clientSecret
  const getAssertion = given?.getClientAssertion
  const certificate = given?.clientCertificate
  const kinds = [secret, getAssertion, certificate].filter((value) => value !== undefined).length
  if (kinds === 1 && typeof secret === 'string' && secret !== '') {
    return { identity: secretIdentity(secret), parameters: () => Promise.resolve({ client_secret: secret }) }
  }
  if (kinds === 1 && (typeof certificate === 'string' || certificate instanceof Uint8Array) && certificate.length > 0) {
    const password = given?.password
    const sign = certificateAssertionSigner(
      {
        clientCertificate: certificate,
        ...(typeof password === 'string' || password instanceof Uint8Array ? { password } : {}),
        sendCertificateChain: (blueprint as { sendCertificateChain?: unknown }).sendCertificateChain === true,
      },
      blueprintClientId,
    )
    return {
      // The certificate bytes' hash (with the password's): the same certificate shares T1 caches.
      identity: `certificate:${sha256Hex(typeof certificate === 'string' ? certificate : hexOf(certificate))}:${sha256Hex(typeof password === 'string' ? password : password instanceof Uint8Array ? hexOf(password) : '')}`,
      parameters: async (tokenEndpoint) => ({
        client_assertion_type: assertionType,
        client_assertion: await sign(tokenEndpoint),
      }),
    }
  }
  if (kinds === 1 && typeof getAssertion === 'function') {
    const call = getAssertion as () => string | Promise<string>
    return {
      identity: callbackIdentity(call, 'blueprint-callback'),
      parameters: async () => ({
        client_assertion_type: assertionType,
        client_assertion: await callClientAssertion(call),
      }),
    }
  }
  throw new OboError(
    "blueprint must be exactly one of { clientSecret }, { clientCertificate } or { getClientAssertion } (e.g. managedIdentityAssertion()): the blueprint app's own credential.",
    { code: 'INVALID_ARGUMENT' },
  )
}

function hexOf(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}
