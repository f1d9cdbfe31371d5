import { EntraError } from '../entra-error.ts'
import { NO_STORE, json } from '../http/reply.ts'
import type { Reply } from '../http/reply.ts'
import type { IssueUserTokenOptions } from '../token-service.ts'
import { tenantOf, underTenant } from './route.ts'
import type { EmulatorServices, Route } from './route.ts'

// Endpoints for tests and demos that real Entra does not have: minting a user token without a sign-in, and
// listing a tenant's test apps and users.

function scopesOf(scopesField: string | undefined): string[] | undefined {
  if (scopesField === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(scopesField)
    return Array.isArray(parsed) ? parsed.map(String) : scopesField.split(/\s+/).filter((s) => s !== '')
  } catch {
    return scopesField.split(/\s+/).filter((s) => s !== '')
  }
}

function userToken(segment: string, fields: ReadonlyMap<string, string>, emulator: EmulatorServices): Reply {
  const tenant = tenantOf(emulator.directory, segment)
  const user = fields.get('user')
  const appOnly = fields.get('appOnly') === 'true' || fields.get('app_only') === 'true'
  const found = user === undefined ? undefined : emulator.directory.findUser(user)
  if (!appOnly && (found === undefined || found.tenantId !== tenant.id)) {
    return json(
      400,
      { error: 'invalid_request', error_description: `No test user '${user ?? ''}' in tenant '${segment}'.` },
      NO_STORE,
    )
  }
  const scopes = scopesOf(fields.get('scopes') ?? fields.get('scope'))
  const lifetime = fields.get('lifetimeSeconds') ?? fields.get('lifetime_seconds')
  const options: IssueUserTokenOptions = {
    ...(found !== undefined ? { user: found } : {}),
    tenantId: tenant.id,
    ...(fields.get('audience') !== undefined ? { audience: fields.get('audience') ?? '' } : {}),
    ...(scopes !== undefined ? { scopes } : {}),
    ...(lifetime !== undefined ? { lifetimeSeconds: Number(lifetime) } : {}),
    ...(fields.get('mfa') === 'true' ? { mfa: true } : {}),
    ...(fields.get('version') === '1.0' ? { version: '1.0' as const } : {}),
    ...(fields.get('claims') !== undefined ? { claims: fields.get('claims') ?? '' } : {}),
    ...(fields.get('clientId') !== undefined ? { clientId: fields.get('clientId') ?? '' } : {}),
    ...(appOnly ? { appOnly: true } : {}),
  }
  try {
    const token = emulator.tokens.mintUserToken(options)
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp: number
      iat: number
    }
    return json(200, { token_type: 'Bearer', access_token: token, expires_in: payload.exp - payload.iat }, NO_STORE)
  } catch (error) {
    if (error instanceof EntraError) throw error
    return json(
      400,
      { error: 'invalid_request', error_description: error instanceof Error ? error.message : 'invalid request' },
      NO_STORE,
    )
  }
}

function directoryListing(segment: string, emulator: EmulatorServices): Reply {
  const tenant = tenantOf(emulator.directory, segment)
  return json(
    200,
    {
      tenant,
      apps: emulator.directory.apps
        .filter((a) => a.tenantId === tenant.id || a.multiTenant)
        .map((a) => ({
          clientId: a.clientId,
          displayName: a.displayName,
          appIdUri: a.appIdUri,
          scopes: a.scopes,
          appRoles: a.appRoles,
        })),
      users: emulator.directory.users
        .filter((u) => u.tenantId === tenant.id)
        .map((u) => ({
          oid: u.oid,
          upn: u.upn,
          name: u.name,
          mfaRequired: u.mfaRequired,
          consentMissing: u.consentMissing,
          disabled: u.disabled,
        })),
    },
    NO_STORE,
  )
}

/**
 * `POST /{tenant}/test/user-token` (mint a user access token) and `GET /{tenant}/test/directory`.
 * @example
 * ```ts
 * const routes = [...tokenRoutes, ...testEndpointRoutes]
 * ```
 */
export const testEndpointRoutes: readonly Route[] = [
  {
    name: 'user-token',
    endpoint: 'test',
    sameOriginOnly: true,
    match: underTenant(['test/user-token']),
    handle: (request, emulator) =>
      request.method === 'POST'
        ? userToken(request.tenant ?? '', request.fields, emulator)
        : json(405, { error: 'invalid_request', error_description: 'Use POST.' }),
  },
  {
    name: 'directory',
    endpoint: 'test',
    sameOriginOnly: true,
    match: underTenant(['test/directory']),
    handle: (request, emulator) => directoryListing(request.tenant ?? '', emulator),
  },
]
