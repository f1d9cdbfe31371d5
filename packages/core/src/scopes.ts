/**
 * Scope checks and the order-insensitive scope key.
 *
 * @module
 */

// Space separates scopes on the wire; quotes and controls could smuggle form or header syntax.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const invalidScope = /[\s"\\\u0000-\u001f\u007f]/

/**
 * Returns the scopes as a non-empty array, or throws a `TypeError` that says what is wrong.
 *
 * @example
 * ```ts
 * const scopes = normalizeScopes('https://graph.microsoft.com/.default') // ['https://graph.microsoft.com/.default']
 * ```
 */
export function normalizeScopes(scopes: string | readonly string[]): readonly string[] {
  // Typed as unknown: callers from JavaScript pass anything, and Array.isArray would widen a typed array to any[].
  const list: unknown = typeof scopes === 'string' ? [scopes] : scopes
  if (!Array.isArray(list)) {
    const kind = list === null ? 'null' : typeof list
    const got = kind === 'undefined' || kind === 'null' ? kind : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`
    throw new TypeError(
      `getToken expects the scopes as a string or an array of strings (got ${got}), e.g. getToken("https://graph.microsoft.com/.default") or getToken(["api://my-api/Documents.Read"]).`,
    )
  }
  if (list.length === 0) {
    throw new TypeError('getToken requires at least one scope, e.g. "https://graph.microsoft.com/.default".')
  }
  for (const scope of list) {
    if (typeof scope !== 'string' || scope.length === 0 || scope.length > 1024 || invalidScope.test(scope)) {
      throw new TypeError(
        'Each scope must be a non-empty string without spaces, quotes or control characters, e.g. "api://my-api/.default".',
      )
    }
  }
  return list as readonly string[]
}

/** The scopes as one order-insensitive, duplicate-free string (the cache key's scope part). */
export function scopeKey(scopes: readonly string[]): string {
  if (scopes.length === 1) return scopes[0]!
  return [...new Set(scopes)].sort().join(' ')
}
