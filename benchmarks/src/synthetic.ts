/**
 * Users beyond the real ones: assertions and tokens shaped exactly like the emulator's (same header, same
 * claims, same lengths), with a fresh `oid`, `sub`, `uti` and random signature bytes per user. Contenders never
 * verify signatures on a cache hit, so these exercise the same lookup code as real tokens; the benchmark
 * writes them only through each contender's public cache API (see the contenders).
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'

/** One synthetic user and what a token exchange would have given it. */
export interface SyntheticUser {
  readonly index: number
  readonly oid: string
  readonly upn: string
  /** The user's access token for the middle tier (the OBO assertion). */
  readonly assertion: string
  /** The downstream access token the cache holds for the user. */
  readonly accessToken: string
  readonly refreshToken: string
}

/** Real tokens to copy the shape from. */
export interface SyntheticTemplates {
  /** A real user assertion minted by the emulator. */
  readonly assertion: string
  /** A real downstream access token the emulator issued through OBO. */
  readonly accessToken: string
  /** The length of a real refresh token. */
  readonly refreshTokenLength: number
}

/** Makes JWTs shaped like a template, with some claims replaced. */
export type JwtSynthesizer = (claims: Readonly<Record<string, unknown>>) => string

// Random-looking bytes come from one random pool read at a moving offset: a system call per token would cost
// more than the rest of the synthesis. The claims make every token unique anyway.
const pool = randomBytes(1 << 16)
let cursor = 0

function poolBytes(length: number): Buffer {
  if (length > pool.length) throw new RangeError('too many bytes')
  cursor = (cursor + 7_919) % (pool.length - length)
  return pool.subarray(cursor, cursor + length)
}

/**
 * A synthesizer of JWTs with the template's header, claims and signature length.
 *
 * @example
 * ```ts
 * const make = jwtSynthesizer(realToken)
 * const other = make({ oid: '…' })
 * ```
 */
export function jwtSynthesizer(template: string): JwtSynthesizer {
  const [header, payload, signature] = template.split('.')
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new TypeError('template is not a JWT')
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  const signatureBytes = Buffer.from(signature, 'base64url').length
  return (overrides) => {
    const body = Buffer.from(JSON.stringify({ ...claims, ...overrides }), 'utf8').toString('base64url')
    return `${header}.${body}.${poolBytes(signatureBytes).toString('base64url')}`
  }
}

/**
 * The claims of a JWT (no verification).
 *
 * @example
 * ```ts
 * jwtClaims(token)['oid']
 * ```
 */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

/**
 * The object ID of synthetic user `index`: a GUID no real emulator user has.
 *
 * @example
 * ```ts
 * syntheticOid(7) // 'b0b0b0b0-0000-4000-8000-000000000007'
 * ```
 */
export function syntheticOid(index: number): string {
  return `b0b0b0b0-0000-4000-8000-${index.toString(16).padStart(12, '0')}`
}

function opaque(length: number): string {
  return poolBytes(Math.ceil((length * 3) / 4) + 1)
    .toString('base64url')
    .slice(0, length)
}

/**
 * A factory of synthetic users numbered from 0: call it with a range.
 *
 * @example
 * ```ts
 * const make = syntheticUsers(templates)
 * const batch = make(0, 1000)
 * ```
 */
export function syntheticUsers(templates: SyntheticTemplates): (from: number, count: number) => SyntheticUser[] {
  const assertion = jwtSynthesizer(templates.assertion)
  const accessToken = jwtSynthesizer(templates.accessToken)
  const issuedAt = Math.floor(Date.now() / 1000)
  return (from, count) => {
    const users: SyntheticUser[] = []
    for (let index = from; index < from + count; index++) {
      const oid = syntheticOid(index)
      const upn = `bench-user-${index}@contoso.onmicrosoft.com`
      const common = {
        oid,
        preferred_username: upn,
        name: `Bench user ${index}`,
        sub: createHash('sha256').update(oid).digest('base64url'),
        iat: issuedAt,
        nbf: issuedAt,
      }
      users.push({
        index,
        oid,
        upn,
        assertion: assertion({ ...common, uti: opaque(22), aio: opaque(32), sid: opaque(22) }),
        accessToken: accessToken({ ...common, uti: opaque(22), aio: opaque(32), sid: opaque(22) }),
        refreshToken: opaque(templates.refreshTokenLength),
      })
    }
    return users
  }
}
