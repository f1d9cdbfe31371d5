/**
 * The one error this package throws: core's `OboError` with code `INVALID_CERTIFICATE`. Messages name the
 * cause and the fix; they never contain the password or key material.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'

/**
 * Builds the `INVALID_CERTIFICATE` error.
 *
 * @example
 * ```ts
 * throw certificateError('The PEM has no private key. Put the key and the certificate in one PEM.')
 * ```
 */
export function certificateError(message: string, cause?: unknown): OboError {
  return new OboError(`Invalid client certificate: ${message}`, {
    code: 'INVALID_CERTIFICATE',
    ...(cause === undefined ? {} : { cause }),
  })
}
