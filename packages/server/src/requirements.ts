/**
 * Per-route requirements: delegated scopes for user calls, app roles for app calls. Either list passes when the
 * token carries any one of its values, as Microsoft.Identity.Web's `RequiredScope` does.
 *
 * @module
 */
import { ApiAuthError } from './api-auth-error.ts'
import type { ValidatedToken } from './token-validator.ts'

/** A check a validated token must pass; refusals are 403 `insufficient_scope`. */
export interface Requirement {
  readonly kind: 'scopes' | 'roles'
  readonly values: readonly string[]
  /** @throws ApiAuthError 403 `INSUFFICIENT_SCOPE`. */
  check(token: ValidatedToken): void
}

function listOf(values: readonly string[], what: string): readonly string[] {
  if (values.length === 0) throw new TypeError(`${what}: name at least one value.`)
  for (const value of values) {
    if (typeof value !== 'string' || value.trim() === '' || /[\s"\\]/.test(value)) {
      throw new TypeError(`${what}: each value must be a non-empty name without spaces or quotes.`)
    }
  }
  return Object.freeze([...values])
}

function insufficient(message: string, scope: string): ApiAuthError {
  return new ApiAuthError(message, {
    code: 'INSUFFICIENT_SCOPE',
    status: 403,
    error: 'insufficient_scope',
    challenge: { error: 'insufficient_scope', scope, error_description: message },
  })
}

/**
 * The caller must be a user whose token holds one of `scopes` (`scp`).
 *
 * @example
 * ```ts
 * const caller = await api.authenticate(request, requireScopes('Orders.Read', 'Orders.ReadWrite'))
 * ```
 */
export function requireScopes(...scopes: string[]): Requirement {
  const values = listOf(scopes, 'requireScopes')
  const scope = values.join(' ')
  return {
    kind: 'scopes',
    values,
    check(token) {
      if (token.appOnly) {
        throw insufficient(`This operation needs a user's token with one of the scopes: ${scope}.`, scope)
      }
      if (!values.some((v) => token.scopes.includes(v))) {
        throw insufficient(`The token lacks the delegated scope this operation needs (one of: ${scope}).`, scope)
      }
    },
  }
}

/**
 * The token must hold one of the app `roles` (app-only callers, or users assigned an app role).
 *
 * @example
 * ```ts
 * const caller = await api.authenticate(request, requireRoles('Orders.Read.All'))
 * ```
 */
export function requireRoles(...roles: string[]): Requirement {
  const values = listOf(roles, 'requireRoles')
  const scope = values.join(' ')
  return {
    kind: 'roles',
    values,
    check(token) {
      if (!values.some((v) => token.roles.includes(v))) {
        throw insufficient(`The token lacks the app role this operation needs (one of: ${scope}).`, scope)
      }
    },
  }
}
