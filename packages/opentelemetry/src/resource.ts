/**
 * The `onbehalf.resource` attribute: the downstream resource of a scope list, bounded in cardinality (a host
 * or an App ID URI, never a path or a query).
 *
 * @module
 */

const memo = new Map<string, string>()
const maxMemo = 1_000

/**
 * The resource a scope names: the host of a URL scope, the `api://<id>` of an App ID URI scope, and
 * `graph.microsoft.com` for a bare scope (`User.Read`), which Entra reads as Microsoft Graph's.
 *
 * @example
 * ```ts
 * scopeResource('https://graph.microsoft.com/.default') // 'graph.microsoft.com'
 * scopeResource('api://downstream/access_as_user') // 'api://downstream'
 * ```
 */
export function scopeResource(scope: string | undefined): string {
  if (scope === undefined) return ''
  let resource = memo.get(scope)
  if (resource === undefined) {
    resource = computeResource(scope)
    if (memo.size >= maxMemo) memo.clear()
    memo.set(scope, resource)
  }
  return resource
}

function computeResource(scope: string): string {
  const schemeEnd = scope.indexOf('://')
  if (schemeEnd === -1) {
    return scope === 'openid' || scope === 'profile' || scope === 'offline_access' ? '' : 'graph.microsoft.com'
  }
  const scheme = scope.slice(0, schemeEnd).toLowerCase()
  const rest = scope.slice(schemeEnd + 3)
  const slash = rest.indexOf('/')
  const authority = slash === -1 ? rest : rest.slice(0, slash)
  if (scheme === 'https' || scheme === 'http') return authority.toLowerCase().replace(/^[^@]*@/, '')
  return `${scheme}://${authority}`
}
