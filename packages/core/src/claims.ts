/**
 * The claims request: the caller's claims (a challenge being satisfied) merged with the CAE client capability.
 *
 * @module
 */
import { OboError } from './errors.ts'

/** The claims that declare client capability `cp1` (CAE-ready). */
export const caeClaims = '{"access_token":{"xms_cc":{"values":["cp1"]}}}'

/**
 * Merges `claims` (JSON text) with the CAE capability when `enableCae` is set.
 *
 * @throws OboError `INVALID_ARGUMENT` when `claims` is not a JSON object.
 * @example
 * ```ts
 * mergeClaims(undefined, true) // '{"access_token":{"xms_cc":{"values":["cp1"]}}}'
 * ```
 */
export function mergeClaims(claims: string | undefined, enableCae: boolean): string | undefined {
  if (claims === undefined || claims === '') return enableCae ? caeClaims : undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(claims)
  } catch (error) {
    throw new OboError('claims must be the JSON text of a claims request (decode the base64 challenge first).', {
      code: 'INVALID_ARGUMENT',
      cause: error,
    })
  }
  if (!isObject(parsed)) {
    throw new OboError('claims must be a JSON object.', { code: 'INVALID_ARGUMENT' })
  }
  if (!enableCae) return claims
  const accessToken = isObject(parsed['access_token']) ? parsed['access_token'] : {}
  return JSON.stringify({ ...parsed, access_token: { ...accessToken, xms_cc: { values: ['cp1'] } } })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
