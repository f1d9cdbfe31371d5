/**
 * The checks every engine makes on core's `EngineConfig` when it is created, so both refuse the same
 * configurations with the same codes.
 *
 * @module
 */
import { OboError } from '../errors.ts'

/**
 * Throws unless `clientId` is a non-blank string.
 *
 * @throws OboError `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * assertClientId(config.clientId)
 * ```
 */
export function assertClientId(clientId: unknown): asserts clientId is string {
  if (typeof clientId !== 'string' || clientId.trim().length === 0) {
    throw new OboError('clientId is required: the application (client) ID of the middle tier.', {
      code: 'INVALID_ARGUMENT',
    })
  }
}

/**
 * Throws unless a secret credential's `secret` is a non-empty string. The message never contains the value.
 *
 * @throws OboError `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * if (credential.kind === 'secret') assertClientSecret(credential.secret)
 * ```
 */
export function assertClientSecret(secret: unknown): asserts secret is string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new OboError('The client secret is empty; pass the secret value from the app registration (not its ID).', {
      code: 'INVALID_ARGUMENT',
    })
  }
}

/**
 * Throws unless an assertion credential's `getAssertion` is a function.
 *
 * @throws OboError `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * if (credential.kind === 'assertion') assertAssertionCallback(credential.getAssertion)
 * ```
 */
export function assertAssertionCallback(getAssertion: unknown): asserts getAssertion is () => string | Promise<string> {
  if (typeof getAssertion !== 'function') {
    throw new OboError('getAssertion must be a function returning a signed client assertion JWT.', {
      code: 'INVALID_ARGUMENT',
    })
  }
}

/**
 * The engine's authority host as an https origin, refusing anything else: plain http, a path, a query, user
 * info. The tenant is given per request, so a path here would be silently ignored: refused instead.
 *
 * @throws OboError `INVALID_AUTHORITY`.
 * @example
 * ```ts
 * engineAuthorityHost('https://login.microsoftonline.com/') // 'https://login.microsoftonline.com'
 * ```
 */
export function engineAuthorityHost(authorityHost: unknown): string {
  let url: URL
  try {
    url = new URL(String(authorityHost))
  } catch (error) {
    throw new OboError(
      'authorityHost is not a valid URL; pass an https origin such as https://login.microsoftonline.com.',
      {
        code: 'INVALID_AUTHORITY',
        cause: error,
      },
    )
  }
  if (url.protocol !== 'https:') {
    throw new OboError(
      `authorityHost must use https (got ${url.protocol}); client credentials are never sent over plain HTTP.`,
      { code: 'INVALID_AUTHORITY' },
    )
  }
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new OboError(
      'authorityHost must be an origin only (e.g. https://login.microsoftonline.com), without path, query or credentials; the tenant is given per request.',
      { code: 'INVALID_AUTHORITY' },
    )
  }
  return url.origin
}
