/**
 * A tiny HTTP client for the running demo, as the page uses it: sign a test user in, call the middle tier,
 * trigger a CAE event. `check.ts` and the tests drive the stack through it (real HTTP, nothing in-process).
 *
 * @module
 */
import type { RequestChain } from './middle-tier.ts'

/** The middle tier's answer to one call. */
export interface CallResult {
  readonly status: number
  readonly wwwAuthenticate: string | undefined
  readonly body: {
    readonly error?: string
    readonly source?: string
    readonly aadsts?: readonly number[]
    readonly claims?: unknown
    readonly downstream?: { readonly status: number; readonly body: unknown }
    readonly chain?: RequestChain
  }
}

/**
 * Gets a user token for the middle tier from the demo's sign-in stand-in (emulator mode).
 *
 * @example
 * ```ts
 * const token = await signIn(stack.url, 'mfa', claimsFromChallenge)
 * ```
 */
export async function signIn(baseUrl: string, user: string, claims?: string): Promise<string> {
  const response = await fetch(`${baseUrl}/demo/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(claims === undefined ? { user } : { user, claims }),
  })
  if (!response.ok) throw new Error(`sign-in for '${user}' answered HTTP ${String(response.status)}`)
  const { accessToken } = (await response.json()) as { accessToken: string }
  return accessToken
}

/**
 * Calls `GET /api/documents` with a bearer token.
 *
 * @example
 * ```ts
 * const { status, body } = await callDocuments(stack.url, token)
 * ```
 */
export async function callDocuments(baseUrl: string, token: string | undefined): Promise<CallResult> {
  const response = await fetch(
    `${baseUrl}/api/documents`,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  )
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate') ?? undefined,
    body: (await response.json()) as CallResult['body'],
  }
}

/**
 * Makes the downstream API revoke a user's earlier tokens (a CAE critical event).
 *
 * @example
 * ```ts
 * await caeEvent(stack.url, user.oid)
 * ```
 */
export async function caeEvent(baseUrl: string, oid: string): Promise<void> {
  const response = await fetch(`${baseUrl}/demo/cae-event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ oid }),
  })
  if (!response.ok) throw new Error(`cae-event answered HTTP ${String(response.status)}`)
}

/**
 * The decoded claims (JSON text) of a `Bearer error="insufficient_claims", claims="<base64>"` header.
 *
 * @example
 * ```ts
 * decodeChallengeClaims(result.wwwAuthenticate) // '{"access_token":{…}}'
 * ```
 */
export function decodeChallengeClaims(header: string | undefined): string | undefined {
  if (header === undefined || !header.includes('error="insufficient_claims"')) return undefined
  const encoded = /claims="([^"]*)"/.exec(header)?.[1]
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8')
}
