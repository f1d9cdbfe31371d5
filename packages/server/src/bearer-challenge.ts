/**
 * Renders RFC 6750 `WWW-Authenticate: Bearer` challenges. Parameter values are quoted strings, so anything
 * that could break the header (quotes, backslashes, control characters) is replaced, never escaped into it.
 *
 * @module
 */

/** The parameters of a Bearer challenge, in the order they are rendered. */
export type BearerChallengeParameters = Readonly<Record<string, string | undefined>>

/**
 * Renders `Bearer name="value", …`, skipping undefined values. A resource-metadata layer (MCP, RFC 9728) adds its
 * own parameter with it, e.g. `resource_metadata`.
 *
 * @example
 * ```ts
 * formatBearerChallenge({ error: 'invalid_token', error_description: 'The token has expired.' })
 * // 'Bearer error="invalid_token", error_description="The token has expired."'
 * ```
 */
export function formatBearerChallenge(parameters: BearerChallengeParameters): string {
  const parts: string[] = []
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue
    parts.push(`${name}="${quotable(value)}"`)
  }
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`
}

/** Replaces what may not appear in a quoted header value (quotes, backslashes, control characters). */
function quotable(value: string): string {
  let out = ''
  for (const char of value) {
    const code = char.charCodeAt(0)
    out += code < 0x20 || code >= 0x7f || char === '"' || char === '\\' ? "'" : char
  }
  return out
}
