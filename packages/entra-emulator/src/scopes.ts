import type { EmulatorApp, EmulatorDirectory } from './directory.ts'
import { errors } from './entra-error.ts'

/**
 * OpenID Connect scopes: they ask for an id_token / refresh token, never name a resource.
 * @example
 * ```ts
 * OIDC_SCOPES.has('offline_access') // true
 * ```
 */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access'])

const GRAPH = 'https://graph.microsoft.com'

/**
 * The outcome of checking a delegated `scope` parameter.
 * @example
 * ```ts
 * resolveDelegatedScopes(directory, tenantName, 'api://x/Read').responseScope
 * ```
 */
export interface ResolvedScopes {
  readonly resource: EmulatorApp
  /** Delegated permission names to put in `scp`. */
  readonly scopeNames: readonly string[]
  /** `true` when the request used `<resource>/.default`. */
  readonly isDefault: boolean
  /** The OIDC scopes requested (lower case). */
  readonly oidc: ReadonlySet<string>
  /** The `scope` field of the response: the granted scopes, fully qualified, then `.default` if it was requested. */
  readonly responseScope: string
}

function splitScopes(scope: string): string[] {
  return scope.split(/[\s]+/).filter((s) => s.length > 0)
}

function splitScope(scope: string): { resource: string; name: string } {
  const cut = scope.lastIndexOf('/')
  // A bare permission name ("User.Read") is a Microsoft Graph scope, as Entra reads it.
  if (cut < 0 || (scope.startsWith('api://') && cut < 'api://'.length)) return { resource: GRAPH, name: scope }
  return { resource: scope.slice(0, cut), name: scope.slice(cut + 1) }
}

/**
 * Checks a delegated scope list (OBO, refresh): one resource, known permissions, `.default` alone.
 * Throws the matching {@link errors} otherwise (70011, 700022, 500011).
 *
 * @example
 * ```ts
 * const resolved = resolveDelegatedScopes(directory, 'contoso.onmicrosoft.com', 'api://x/Documents.Read openid')
 * resolved.scopeNames // ['Documents.Read']
 * ```
 */
export function resolveDelegatedScopes(
  directory: EmulatorDirectory,
  tenantName: string,
  scope: string | undefined,
): ResolvedScopes {
  if (scope === undefined || scope.trim() === '') throw errors.missingParameter('scope')
  const all = splitScopes(scope)
  const oidc = new Set(all.filter((s) => OIDC_SCOPES.has(s.toLowerCase())).map((s) => s.toLowerCase()))
  const resourceScopes = all.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()))
  if (resourceScopes.length === 0) {
    throw errors.invalidScope(`The scope '${all.join(' ')}' does not name a resource.`)
  }
  const parsed = resourceScopes.map(splitScope)
  const resources = new Map<string, EmulatorApp | undefined>()
  for (const { resource } of parsed) resources.set(resource, directory.findResource(resource))
  for (const [identifier, app] of resources) {
    if (app === undefined) throw errors.resourceNotFound(identifier, tenantName)
  }
  const distinct = new Set([...resources.values()].map((app) => app?.clientId))
  if (distinct.size > 1) throw errors.multipleResources()
  const resource = [...resources.values()][0]
  if (resource === undefined) throw errors.invalidScope('No resource.')
  const names = parsed.map((p) => p.name)
  const isDefault = names.some((n) => n === '.default')
  if (isDefault && names.length > 1) {
    throw errors.invalidScope("The '.default' scope can't be combined with resource-specific scopes.")
  }
  const exposed = new Map(resource.scopes.map((s) => [s.toLowerCase(), s]))
  const scopeNames: string[] = []
  if (isDefault) {
    scopeNames.push(...resource.scopes)
  } else {
    for (const name of names) {
      const known = exposed.get(name.toLowerCase())
      if (known === undefined) {
        throw errors.invalidScope(
          `The scope '${name}' does not exist on the resource '${resource.appIdUri ?? resource.clientId}'.`,
        )
      }
      if (!scopeNames.includes(known)) scopeNames.push(known)
    }
  }
  const prefix = resource.appIdUri ?? resource.clientId
  // Entra's answer to `<resource>/.default` lists the granted scopes and then the `.default` scope as requested:
  // MSAL and @azure/identity find their cached token by the requested scopes, so without it every call misses.
  const requestedDefault = isDefault ? resourceScopes.filter((s) => splitScope(s).name === '.default') : []
  return {
    resource,
    scopeNames,
    isDefault,
    oidc,
    responseScope: [...scopeNames.map((n) => `${prefix}/${n}`), ...requestedDefault].join(' '),
  }
}

/**
 * Checks a client-credentials scope: exactly one `<resource>/.default` (1002012, 500011 otherwise).
 *
 * @example
 * ```ts
 * resolveAppScope(directory, 'contoso.onmicrosoft.com', 'api://x/.default').clientId
 * ```
 */
export function resolveAppScope(
  directory: EmulatorDirectory,
  tenantName: string,
  scope: string | undefined,
): EmulatorApp {
  if (scope === undefined || scope.trim() === '') throw errors.missingParameter('scope')
  const all = splitScopes(scope)
  const bad = all.find((s) => !s.endsWith('/.default'))
  if (bad !== undefined) throw errors.clientCredentialsScope(bad)
  if (all.length > 1) throw errors.multipleResources()
  const identifier = (all[0] ?? '').slice(0, -'/.default'.length)
  const resource = directory.findResource(identifier)
  if (resource === undefined) throw errors.resourceNotFound(identifier, tenantName)
  return resource
}
