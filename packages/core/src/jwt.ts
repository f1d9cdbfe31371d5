/**
 * Reading a JWT's payload without verifying it: only to learn when the incoming assertion expires. Never use it
 * to make an authorization decision.
 *
 * @module
 */

/**
 * The decoded payload of a compact JWS, or `undefined` when `token` is not one.
 *
 * @example
 * ```ts
 * const exp = decodeJwtPayload(userAssertion)?.['exp']
 * ```
 */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined || parts[1].length === 0) return undefined
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const payload: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The `exp` of a JWT in epoch milliseconds, or `undefined`. */
export function jwtExpiresAt(token: string): number | undefined {
  const exp = decodeJwtPayload(token)?.['exp']
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
}
