import { errors } from './entra-error.ts'

/**
 * What the emulator reads from a `claims` request parameter.
 * @example
 * ```ts
 * const { cp1, capolids } = parseClaimsRequest(form.get('claims'))
 * ```
 */
export interface ClaimsRequest {
  /** The client declared capability `cp1` (CAE): `access_token.xms_cc.values` contains `cp1`. */
  readonly cp1: boolean
  /** Policy IDs the request says it satisfies (`access_token.capolids.values`). */
  readonly capolids: readonly string[]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringValues(claim: unknown): string[] {
  if (!isRecord(claim)) return []
  const values = claim['values']
  if (Array.isArray(values)) return values.filter((v): v is string => typeof v === 'string')
  const value = claim['value']
  return typeof value === 'string' ? [value] : []
}

/**
 * Parses the `claims` parameter (JSON text). Absent → nothing requested; not a JSON object → 90014.
 *
 * @example
 * ```ts
 * parseClaimsRequest('{"access_token":{"xms_cc":{"values":["cp1"]}}}').cp1 // true
 * ```
 */
export function parseClaimsRequest(claims: string | undefined): ClaimsRequest {
  if (claims === undefined || claims.trim() === '') return { cp1: false, capolids: [] }
  let parsed: unknown
  try {
    parsed = JSON.parse(claims)
  } catch {
    throw errors.malformedClaims()
  }
  if (!isRecord(parsed)) throw errors.malformedClaims()
  const accessToken = parsed['access_token']
  if (!isRecord(accessToken)) return { cp1: false, capolids: [] }
  return {
    cp1: stringValues(accessToken['xms_cc']).some((v) => v.toLowerCase() === 'cp1'),
    capolids: stringValues(accessToken['capolids']),
  }
}

/**
 * The claims challenge Entra returns with AADSTS50076 for a Conditional Access (MFA) policy.
 *
 * @example
 * ```ts
 * mfaClaimsChallenge(policyId) // '{"access_token":{"capolids":{"essential":true,"values":["…"]}}}'
 * ```
 */
export function mfaClaimsChallenge(policyId: string): string {
  return JSON.stringify({ access_token: { capolids: { essential: true, values: [policyId] } } })
}
