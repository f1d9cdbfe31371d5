/**
 * `OnBehalfOfCredential`: an `@azure/core-auth` `TokenCredential` for the On-Behalf-Of flow. Cheap to build per
 * request: every credential of the same client configuration shares one engine, one token provider and one
 * cache (see the registry), so the hot path is a hash and a map lookup.
 *
 * @module
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth'
import {
  mergeClaims,
  normalizeScopes,
  OboError,
  resolveTenant,
  type TokenEvent,
  type TokenProvider,
} from '@onbehalf/core'
import { joseEngine } from '@onbehalf/jose'
import { readCertificateFile } from './certificate-file.ts'
import { identifyAssertion, identifyCertificate, identifySecret, type IdentifiedCredential } from './client-identity.ts'
import { readEnv } from './env.ts'
import { CredentialUnavailableError, toCredentialError } from './errors.ts'
import { logger } from './logger.ts'
import {
  normalizeArguments,
  type CredentialSettings,
  type OnBehalfOfCredentialIdentityOptions,
  type OnBehalfOfCredentialOptions,
} from './options.ts'
import { sharedProvider } from './registry.ts'

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
  readonly #settings: CredentialSettings
  /** Set at construction except for certificate files, which are resolved per call (rotation). */
  readonly #provider: TokenProvider | undefined
  #closed = false

  /**
   * The seed's shape: tenant and client positional, everything else in `options`.
   *
   * @throws TypeError naming the argument: invalid `tenantId`, empty `clientId`, missing or empty
   *   `userAssertion`, none or several client credentials, a certificate that is not PEM/PKCS#12, has no
   *   private key or has the wrong password, an authority that is not https.
   */
  constructor(tenantId: string, clientId: string, options: OnBehalfOfCredentialOptions)
  /**
   * `@azure/identity`'s shape: one options object with `tenantId`, `clientId`, `userAssertionToken` and one of
   * `clientSecret`, `certificatePath`, `getAssertion`.
   *
   * @throws TypeError naming the argument, as for the other shape.
   */
  constructor(options: OnBehalfOfCredentialIdentityOptions)
  constructor(
    ...args:
      | [tenantId: string, clientId: string, options: OnBehalfOfCredentialOptions]
      | [options: OnBehalfOfCredentialIdentityOptions]
  ) {
    const settings = normalizeArguments(args)
    this.#settings = settings
    this.#provider = settings.source.kind === 'certificate-file' ? undefined : providerAtConstruction(settings)
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
    const settings = this.#settings
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
        userAssertion: settings.userAssertion,
        scopes: scopeList,
        claims,
        enableCae: options.enableCae === true,
        signal,
        timeoutMs,
        refreshTokenWindowMs: settings.refreshTokenWindowMs,
        onEvent: eventListener(settings.onEvent),
      }
      const provider = this.#provider
      const pending =
        provider === undefined
          ? providerForFile(settings).then((fromFile) => fromFile.getToken(request))
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

interface FailureContext {
  readonly tenantId: string
  readonly scopeList: readonly string[]
}

/** Maps a failure to the error the caller gets (credential errors) and logs it without secrets. */
function credentialFailure(error: unknown, context: FailureContext): Error {
  const mapped = toCredentialError(error)
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

function providerAtConstruction(settings: CredentialSettings): TokenProvider {
  const { source, names } = settings
  let credential: IdentifiedCredential
  switch (source.kind) {
    case 'secret':
      credential = identifySecret(source.secret)
      break
    case 'assertion':
      credential = identifyAssertion(source.getAssertion)
      break
    case 'certificate':
      try {
        credential = identifyCertificate(source.certificate, source.password, source.sendCertificateChain)
      } catch (error) {
        throw certificateTypeError(error, `"${names.clientCertificate}"`)
      }
      break
    case 'certificate-file':
      throw new Error('unreachable: certificate files are resolved per call')
  }
  try {
    return providerFor(settings, credential)
  } catch (error) {
    throw engineTypeError(error)
  }
}

async function providerForFile(settings: CredentialSettings): Promise<TokenProvider> {
  const { source } = settings
  if (source.kind !== 'certificate-file') throw new Error('unreachable: not a certificate file')
  let credential: IdentifiedCredential
  try {
    const bytes = await readCertificateFile(source.path)
    credential = identifyCertificate(bytes, source.password, source.sendCertificateChain, true)
  } catch (error) {
    // The file may be fixed or rotated while the process runs: the credential is unavailable, not misused.
    const message = error instanceof Error ? error.message : String(error)
    throw new CredentialUnavailableError(
      `OnBehalfOfCredential: the certificate at "${settings.names.clientCertificatePath}" cannot be used: ${message}`,
      { code: 'INVALID_CERTIFICATE', cause: error },
    )
  }
  return providerFor(settings, credential)
}

function providerFor(settings: CredentialSettings, credential: IdentifiedCredential): TokenProvider {
  return sharedProvider({
    engine: settings.engine ?? joseEngine,
    authorityHost: settings.authorityHost,
    clientId: settings.clientId,
    credential,
    disableInstanceDiscovery: settings.disableInstanceDiscovery,
    fetch: settings.fetch,
    cache: settings.cache,
  })
}

function certificateTypeError(error: unknown, argument: string): Error {
  if (error instanceof OboError && error.code === 'INVALID_CERTIFICATE') {
    return new TypeError(
      `OnBehalfOfCredential: ${argument} is not a valid certificate in PEM or PKCS12 format. ${error.message}`,
      {
        cause: error,
      },
    )
  }
  return error instanceof Error ? error : new TypeError(String(error))
}

function engineTypeError(error: unknown): Error {
  if (error instanceof TypeError) return error
  if (error instanceof OboError && error.code === 'INVALID_CERTIFICATE') {
    return certificateTypeError(error, 'the certificate')
  }
  if (error instanceof OboError) {
    return new TypeError(`OnBehalfOfCredential: the engine refused the configuration: ${error.message}`, {
      cause: error,
    })
  }
  return error instanceof Error ? error : new TypeError(String(error))
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
