/**
 * The error for an answer from Entra that could not be understood, shared by both engines.
 *
 * @module
 */
import { OboError } from '../errors.ts'

/**
 * `INVALID_RESPONSE`: the token or discovery endpoint answered something unusable (not JSON, empty, too large,
 * missing `access_token` or expiry). `status` is the HTTP status of that answer.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (error instanceof InvalidResponseError) console.warn('Entra answered', error.status)
 * }
 * ```
 */
export class InvalidResponseError extends OboError {
  readonly status: number

  constructor(message: string, status: number, cause?: unknown) {
    super(`${message} (HTTP ${status})`, { code: 'INVALID_RESPONSE', ...(cause === undefined ? {} : { cause }) })
    this.status = status
  }
}
