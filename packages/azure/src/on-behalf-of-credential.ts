/**
 * `OnBehalfOfCredential`, an `@azure/core-auth` `TokenCredential` for the On-Behalf-Of flow, and
 * `createOnBehalfOf`, the configuration validated once that makes one per request for the cost of a closure.
 * The whole hit path is in this file: `credentialFor` (or the constructor) → `getToken` → the shared token
 * provider's cache lookup (core: one SHA-256 over the key fields and a map lookup).
 *
 * @module
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth'
import { OboError, type TokenEvent, type TokenProviderStats } from '@onbehalf/core'
import { mergeClaims, normalizeScopes, resolveTenant } from '@onbehalf/core/engine'
import { configurationFor, createConfiguration, providerForFile, type Configuration } from './configuration.ts'
import { credentialStats, type CredentialStats } from './credential-stats.ts'
import { readEnv } from './env.ts'
import { AuthenticationError, toCredentialError } from './errors.ts'
import { logger } from './logger.ts'
import {
  checkUserAssertion,
  readArguments,
  readConfig,
  seedNames,
  type OnBehalfOfConfig,
  type OnBehalfOfCredentialIdentityOptions,
  type OnBehalfOfCredentialOptions,
} from './options.ts'

/** `Symbol.asyncDispose`, or its registered stand-in where the runtime does not define it yet. */
const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('Symbol.asyncDispose') as typeof Symbol.asyncDispose)

// Core's token provider refreshes this long before expiry; the pipeline is told the same moment.
const refreshOffsetMs = 300_000

/**
 * Authenticates as the middle tier's app on behalf of the user whose access token your API received, and
 * returns tokens for a downstream API. Implements `@azure/core-auth`'s `TokenCredential`, so it works with every
 * Azure SDK client, `bearerTokenAuthenticationPolicy` and `ChainedTokenCredential`.
 *
 * Build one per incoming request: credentials with the same client configuration share one engine and one
 * cache, so a new credential parses no certificate, fetches no discovery document and, on a cache hit, makes no
 * token request. Concurrent misses for one user make one token request.
 *
 * @example
 * ```ts
 * import { OnBehalfOfCredential } from '@onbehalf/azure'
 *
 * const credential = new OnBehalfOfCredential(tenantId, clientId, {
 *   userAssertion: incomingAccessToken,
 *   clientSecret: process.env.CLIENT_SECRET!,
 * })
 * const { token } = await credential.getToken('https://graph.microsoft.com/.default')
 * ```
 */
export class OnBehalfOfCredential implements TokenCredential {
  readonly #configuration: Configuration
  readonly #userAssertion: string
  #closed = false

  /**
   * The positional shape (as in Azure Identity for Python): tenant and client positional, everything else in
   * `options`.
   *
   * @throws TypeError naming the argument: invalid `tenantId`, empty `clientId`, missing or empty
   *   `userAssertion` or one with the `Bearer ` prefix, none or several client credentials (naming an option
   *   that was given as `undefined`), a certificate that is not PEM/PKCS#12, has no private key or has the wrong
   *   password, an authority that is not https.
   */
  constructor(tenantId: string, clientId: string, options: OnBehalfOfCredentialOptions)
  /**
   * `@azure/identity`'s shape: one options object with `tenantId`, `clientId`, `userAssertionToken` and one of
   * `clientSecret`, `certificatePath`, `getAssertion`.
   *
   * @throws TypeError naming the argument, as for the other shape.
   */
  constructor(options: OnBehalfOfCredentialIdentityOptions)
  constructor(...args: readonly unknown[]) {
    if (args[0] === fromConfiguration) {
      // createOnBehalfOf's credentialFor: configuration and assertion already checked.
      this.#configuration = args[1] as Configuration
      this.#userAssertion = args[2] as string
      return
    }
    const { raw, userAssertion } = readArguments(args)
    this.#userAssertion = checkUserAssertion(userAssertion, raw.names.userAssertion)
    this.#configuration = configurationFor(raw)
  }

  /**
   * Counters of every credential in the process: shared engines, engines created, certificate file reads. If
   * `enginesCreated` grows with requests, something per request is part of the configuration (typically a
   * `getClientAssertion`, `fetch` or engine factory defined inside the request handler: define it once).
   *
   * @example
   * ```ts
   * for (let i = 0; i < 1000; i++) new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret })
   * OnBehalfOfCredential.stats().enginesCreated // 1
   * ```
   */
  static stats(): CredentialStats {
    return credentialStats()
  }

  /**
   * A token for `scopes` (one resource), from the shared cache when fresh, else from Entra.
   *
   * - `tenantId`: another tenant, if `additionallyAllowedTenants` allows it (`AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`
   *   makes the configured tenant win).
   * - `claims`: a claims challenge (JSON text) to satisfy; bypasses the cache.
   * - `enableCae`: declare CAE capability `cp1`; CAE tokens are cached apart.
   * - `abortSignal`, `requestOptions.timeout`: stop waiting (a request shared with other callers goes on).
   *
   * @throws TypeError for no scope, a malformed scope, `claims` that are not a JSON object, a malformed `tenantId`.
   * @throws AuthenticationError when Entra refuses, the requested tenant is not allowed, or the network fails.
   * @throws CredentialUnavailableError after `close()`, for an unreadable certificate file, or when the client
   *   assertion callback produced nothing.
   * @example
   * ```ts
   * const token = await credential.getToken(['api://downstream/.default'], { enableCae: true, abortSignal })
   * ```
   */
  getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    // Not an async function: a cache hit settles with one promise reaction, no extra awaits.
    const configuration = this.#configuration
    const { settings } = configuration
    let tenantId = settings.tenantId
    let scopeList: readonly string[] = []
    // Core starts the timer and listens to the signal only while this call waits for a token request: a cache
    // hit allocates no abort plumbing (no AbortSignal.timeout/any, no listener left on a long-lived signal).
    const requestedTimeoutMs = options.requestOptions?.timeout
    const timeoutMs = requestedTimeoutMs !== undefined && requestedTimeoutMs > 0 ? requestedTimeoutMs : undefined
    const fail = (error: unknown): never => {
      throw credentialFailure(error, { tenantId, scopeList })
    }
    try {
      if (this.#closed) {
        throw new OboError('the credential was closed; create a new one.', { code: 'CLOSED' })
      }
      scopeList = normalizeScopes(scopes)
      const claims = claimsOption(options.claims)
      const requestedTenant = options.tenantId
      if (requestedTenant !== undefined && requestedTenant !== '' && requestedTenant !== settings.tenantId) {
        tenantId = resolveTenant({
          configuredTenant: settings.tenantId,
          requestedTenant,
          additionallyAllowedTenants: settings.additionallyAllowedTenants,
          // Read at each call, as the Azure SDK does, but only when it can matter.
          disableMultiTenantAuth: readEnv('AZURE_IDENTITY_DISABLE_MULTITENANTAUTH') !== undefined,
        })
      }
      const signal = options.abortSignal
      if (signal?.aborted === true) {
        throw new OboError('The token request was aborted by the caller.', { code: 'ABORTED', cause: reasonOf(signal) })
      }
      const request = {
        tenantId,
        userAssertion: this.#userAssertion,
        scopes: scopeList,
        claims,
        enableCae: options.enableCae === true,
        signal,
        timeoutMs,
        refreshTokenWindowMs: settings.refreshTokenWindowMs,
        onEvent: eventListener(settings.onEvent),
        // The span of a token request (never of a hit) joins the Azure SDK caller's trace.
        traceContext: options.tracingOptions,
      }
      const provider = configuration.provider
      const pending =
        provider === undefined
          ? providerForFile(configuration).then((fromFile) => fromFile.getToken(request))
          : provider.getToken(request)
      return pending.then((token) => {
        if (logger.info.enabled) {
          logger.info('OnBehalfOfCredential.getToken succeeded (tenant %s, scopes %s).', tenantId, scopeList.join(' '))
        }
        return {
          token: token.accessToken,
          expiresOnTimestamp: token.expiresAt,
          refreshAfterTimestamp: Math.min(
            token.refreshAt ?? Number.POSITIVE_INFINITY,
            token.expiresAt - refreshOffsetMs,
          ),
          tokenType: 'Bearer' as const,
        }
      }, fail)
    } catch (error) {
      return Promise.reject(credentialFailure(error, { tenantId, scopeList }))
    }
  }

  /**
   * Closes this credential: later `getToken` calls fail with {@link CredentialUnavailableError}. The shared
   * engine and cache stay for the other credentials of the process. Idempotent.
   *
   * @example
   * ```ts
   * await credential.close()
   * ```
   */
  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  /**
   * `await using credential = new OnBehalfOfCredential(…)` closes it at the end of the scope.
   *
   * @example
   * ```ts
   * await using credential = new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret })
   * ```
   */
  [asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** Symbol passed by {@link createOnBehalfOf} so the constructor skips reading and validating options. */
const fromConfiguration = Symbol('OnBehalfOfCredential.fromConfiguration')

// The internal constructor signature, kept out of the public overloads.
const InternalCredential = OnBehalfOfCredential as unknown as new (
  marker: typeof fromConfiguration,
  configuration: Configuration,
  userAssertion: string,
) => OnBehalfOfCredential

/** A client configuration validated once: makes a credential per request for the cost of a closure. */
export interface OnBehalfOf {
  /**
   * A credential for one incoming request's user assertion (the access token your API received, without the
   * `Bearer ` prefix).
   *
   * @throws TypeError for an empty assertion, one that is not a string, or one with the `Bearer ` prefix.
   */
  credentialFor(userAssertion: string): OnBehalfOfCredential
  /**
   * The counters of the token provider this configuration shares (hits, misses, coalesced calls, refreshes,
   * errors, engine calls, flights): shared with every configuration of the same client, credential and cache.
   * `undefined` for a certificate file that was not read yet.
   */
  stats(): TokenProviderStats | undefined
}

/**
 * Validates a client configuration once and returns `credentialFor(userAssertion)`, whose per-request cost is a
 * closure: no option is read again, no certificate parsed, no environment variable read. Every credential it
 * makes shares the process-wide cache (or `cache`) and one engine, exactly as `new OnBehalfOfCredential(...)` does.
 *
 * @throws TypeError naming the option, as the constructor does (without `userAssertion`).
 * @example
 * ```ts
 * import { createOnBehalfOf } from '@onbehalf/azure'
 *
 * const obo = createOnBehalfOf({ tenantId, clientId, clientSecret: process.env.CLIENT_SECRET! })
 * app.get('/me', async (req, res) => {
 *   const credential = obo.credentialFor(req.headers.authorization!.slice('Bearer '.length))
 *   const { token } = await credential.getToken('https://graph.microsoft.com/User.Read')
 * })
 * ```
 */
export function createOnBehalfOf(config: OnBehalfOfConfig): OnBehalfOf {
  const configuration = createConfiguration(readConfig(config), 'createOnBehalfOf')
  const name = seedNames.userAssertion
  return {
    credentialFor: (userAssertion) =>
      new InternalCredential(fromConfiguration, configuration, checkUserAssertion(userAssertion, name)),
    stats: () => (configuration.provider ?? configuration.fileProvider)?.stats(),
  }
}

interface FailureContext {
  readonly tenantId: string
  readonly scopeList: readonly string[]
}

/** Maps a failure to the error the caller gets (credential errors) and logs it without secrets. */
function credentialFailure(error: unknown, context: FailureContext): Error {
  const mapped = toCredentialError(error)
  if (mapped instanceof AuthenticationError && mapped.code === 'INVALID_SCOPE') {
    const bare = context.scopeList.find(isBareScope)
    if (bare !== undefined) {
      mapped.message += ` "${bare}" names no resource, so Entra reads it as a Microsoft Graph permission: for your own API write "api://<its client ID or App ID URI>/${bare}".`
    }
  }
  if (logger.warning.enabled) {
    const code = (mapped as { code?: unknown }).code
    logger.warning(
      'OnBehalfOfCredential.getToken failed (tenant %s, scopes %s): %s %s',
      context.tenantId,
      context.scopeList.join(' '),
      mapped.name,
      typeof code === 'string' ? code : '',
    )
  }
  return mapped
}

// Scopes of the OpenID Connect protocol itself, which rightly name no resource.
const protocolScopes = new Set(['openid', 'profile', 'email', 'offline_access'])

function isBareScope(scope: string): boolean {
  return !scope.includes('/') && !scope.includes(':') && !protocolScopes.has(scope)
}

function claimsOption(claims: string | undefined): string | undefined {
  if (claims === undefined || claims === '') return undefined
  if (typeof claims !== 'string') throw new TypeError('"claims" must be the JSON text of a claims request.')
  try {
    mergeClaims(claims, false)
  } catch (error) {
    throw new TypeError(
      '"claims" must be the JSON text of a claims request, e.g. {"access_token":{"acrs":{"essential":true,"value":"c1"}}} (decode the base64 challenge first).',
      { cause: error },
    )
  }
  return claims
}

/** The abort reason of a DOM `AbortSignal`; an `AbortSignalLike` may have none. */
function reasonOf(signal: NonNullable<GetTokenOptions['abortSignal']>): unknown {
  return (signal as { reason?: unknown }).reason
}

function eventListener(onEvent: ((event: TokenEvent) => void) | undefined): ((event: TokenEvent) => void) | undefined {
  if (!logger.verbose.enabled) return onEvent
  return (event) => {
    logger.verbose(
      'OnBehalfOfCredential cache %s (key %s, tenant %s, scopes %s, engine %s, %d ms)%s',
      event.type,
      event.key.slice(0, 12),
      event.tenantId,
      event.scopes.join(' '),
      event.engine,
      Math.round(event.durationMs),
      event.error === undefined ? '' : `: ${event.error.code}`,
    )
    onEvent?.(event)
  }
}
