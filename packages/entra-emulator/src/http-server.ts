import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EmulatorDirectory, EmulatorTenant } from './directory.ts'
import { EntraError, entraErrorBody, errors, newTraceId } from './entra-error.ts'
import type { EntraErrorSpec } from './entra-error.ts'
import { parseFaultSpec } from './faults.ts'
import type { EndpointKind, FaultInjector, FaultSpec } from './faults.ts'
import { identityRoute } from './identity-routes.ts'
import type { IdentityReply, IdentityRoute } from './identity-routes.ts'
import type { TokenIssuer } from './token-issuer.ts'
import type { IssueUserTokenOptions, TokenService } from './token-service.ts'

/**
 * One request the emulator received, for assertions in tests. Secrets are recorded as received.
 * @example
 * ```ts
 * const last = emu.requests.at(-1)
 * last?.errorCodes // e.g. [50076]
 * ```
 */
export interface RecordedRequest {
  readonly id: number
  /** Epoch milliseconds. */
  readonly receivedAt: number
  readonly method: string
  /** Path without the query string. */
  readonly path: string
  readonly endpoint: EndpointKind
  /** The tenant segment of the URL, if any. */
  readonly tenant: string | undefined
  readonly query: Readonly<Record<string, string>>
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  /** Form fields of the body (token endpoint), or JSON fields (test endpoints). */
  readonly form: Readonly<Record<string, string>>
  readonly grantType: string | undefined
  readonly clientId: string | undefined
  /** HTTP status sent; 0 when the connection was dropped. */
  status: number
  /** `error` of an error answer. */
  error: string | undefined
  /** `error_codes` of an error answer. */
  errorCodes: number[] | undefined
  /** IDs of the faults that fired. */
  faults: number[]
  durationMs: number
}

/**
 * What the request handler needs.
 * @example
 * ```ts
 * server.on('request', createRequestHandler({ authorityHost, hostAliases, directory, issuer, tokens, faults, record }))
 * ```
 */
export interface HttpContext {
  readonly authorityHost: string
  /** `host:port` names this emulator answers to in instance discovery. */
  readonly hostAliases: readonly string[]
  readonly directory: EmulatorDirectory
  readonly issuer: TokenIssuer
  readonly tokens: TokenService
  readonly faults: FaultInjector
  readonly record: (request: RecordedRequest) => void
  /** Called when a request is finished (the CLI logs it). */
  readonly onFinished?: (request: RecordedRequest) => void
  /** Managed identity (IMDS, App Service) and Kubernetes issuer routes. */
  readonly identity?: (
    route: IdentityRoute,
    method: string,
    query: URLSearchParams,
    headers: Readonly<Record<string, string>>,
  ) => IdentityReply
}

const MAX_BODY_BYTES = 1_000_000
const WELL_KNOWN_TENANTS = new Set(['common', 'organizations', 'consumers'])

interface Reply {
  status: number
  headers: Record<string, string>
  body: string
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  }
}

const NO_STORE = { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' }
const DISCOVERY_CACHE = { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' }
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization, client-request-id',
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) throw new RangeError('body too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function formFields(body: string, contentType: string | undefined): Map<string, string> {
  const fields = new Map<string, string>()
  if (contentType?.includes('application/json') === true) {
    try {
      const parsed: unknown = JSON.parse(body)
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [k, v] of Object.entries(parsed)) {
          fields.set(k, typeof v === 'string' ? v : JSON.stringify(v))
        }
      }
    } catch {
      // an unparsable JSON body has no fields
    }
    return fields
  }
  for (const [k, v] of new URLSearchParams(body)) if (!fields.has(k)) fields.set(k, v)
  return fields
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

function classify(
  segments: readonly string[],
  method: string,
): { endpoint: EndpointKind; tenant: string | undefined; route: string } {
  const [first, ...rest] = segments
  const tail = rest.join('/').toLowerCase()
  if (first === undefined) return { endpoint: 'other', tenant: undefined, route: 'root' }
  if (first.toLowerCase() === 'common' && tail === 'discovery/instance') {
    return { endpoint: 'instance-discovery', tenant: first, route: 'instance' }
  }
  if (first.toLowerCase() === 'error') return { endpoint: 'other', tenant: undefined, route: 'error-page' }
  if (first === 'test' && tail === 'faults') return { endpoint: 'test', tenant: undefined, route: 'faults' }
  if (tail === 'v2.0/.well-known/openid-configuration') {
    return { endpoint: 'openid-configuration', tenant: first, route: 'oidc' }
  }
  if (tail === 'discovery/v2.0/keys' || tail === 'discovery/keys') {
    return { endpoint: 'jwks', tenant: first, route: 'jwks' }
  }
  if (tail === 'oauth2/v2.0/token') {
    return { endpoint: 'token', tenant: first, route: method === 'POST' ? 'token' : 'token-get' }
  }
  if (tail === 'oauth2/token') return { endpoint: 'token', tenant: first, route: 'token-v1' }
  if (tail === 'oauth2/v2.0/authorize') return { endpoint: 'other', tenant: first, route: 'authorize' }
  if (tail === 'test/user-token') return { endpoint: 'test', tenant: first, route: 'user-token' }
  if (tail === 'test/directory') return { endpoint: 'test', tenant: first, route: 'directory' }
  return { endpoint: 'other', tenant: first, route: 'not-found' }
}

/**
 * Creates the HTTP request handler: discovery, OpenID configuration, JWKS, the token endpoint, test
 * endpoints, fault injection and request recording.
 *
 * @example
 * ```ts
 * server.on('request', createRequestHandler(context))
 * ```
 */
export function createRequestHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  let nextId = 1

  const errorReply = (spec: EntraErrorSpec, traceId: string, correlationId: string): Reply =>
    json(
      spec.status,
      entraErrorBody(spec, { traceId, correlationId, now: new Date(), errorUriBase: ctx.authorityHost }),
      {
        ...NO_STORE,
        ...(spec.headers ?? {}),
      },
    )

  const tenantOf = (segment: string): EmulatorTenant => {
    const tenant = ctx.directory.findTenant(segment)
    if (tenant === undefined) throw errors.tenantNotFound(segment)
    return tenant
  }

  const openIdConfiguration = (segment: string): Reply => {
    const wellKnown = WELL_KNOWN_TENANTS.has(segment.toLowerCase())
    // Entra answers a domain-named tenant with GUID-based endpoints.
    const tenantPath = wellKnown ? segment.toLowerCase() : tenantOf(segment).id
    const issuerTenant = wellKnown ? '{tenantid}' : tenantPath
    const base = `${ctx.authorityHost}/${tenantPath}`
    return json(
      200,
      {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${ctx.authorityHost}/${issuerTenant}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: [
          'sub',
          'iss',
          'cloud_instance_name',
          'cloud_instance_host_name',
          'cloud_graph_host_name',
          'msgraph_host',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'at_hash',
          'c_hash',
          'email',
        ],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: wellKnown ? null : 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
      DISCOVERY_CACHE,
    )
  }

  const instanceDiscovery = (query: URLSearchParams): Reply => {
    const endpoint = query.get('authorization_endpoint')
    if (endpoint === null) throw errors.missingParameter('authorization_endpoint')
    let url: URL
    try {
      url = new URL(endpoint)
    } catch {
      throw errors.unknownInstance()
    }
    if (!ctx.hostAliases.includes(url.host.toLowerCase())) throw errors.unknownInstance()
    const tenant = url.pathname.split('/').filter((s) => s !== '')[0] ?? 'common'
    const preferred = ctx.hostAliases[0] ?? url.host
    return json(
      200,
      {
        tenant_discovery_endpoint: `${ctx.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: preferred, preferred_cache: preferred, aliases: [...ctx.hostAliases] }],
      },
      DISCOVERY_CACHE,
    )
  }

  const userToken = (segment: string, fields: Map<string, string>): Reply => {
    const tenant = tenantOf(segment)
    const user = fields.get('user')
    const appOnly = fields.get('appOnly') === 'true' || fields.get('app_only') === 'true'
    const found = user === undefined ? undefined : ctx.directory.findUser(user)
    if (!appOnly && (found === undefined || found.tenantId !== tenant.id)) {
      return json(
        400,
        { error: 'invalid_request', error_description: `No test user '${user ?? ''}' in tenant '${segment}'.` },
        { ...NO_STORE, ...CORS },
      )
    }
    const scopesField = fields.get('scopes') ?? fields.get('scope')
    let scopes: string[] | undefined
    if (scopesField !== undefined) {
      try {
        const parsed: unknown = JSON.parse(scopesField)
        scopes = Array.isArray(parsed) ? parsed.map(String) : scopesField.split(/\s+/).filter((s) => s !== '')
      } catch {
        scopes = scopesField.split(/\s+/).filter((s) => s !== '')
      }
    }
    const lifetime = fields.get('lifetimeSeconds') ?? fields.get('lifetime_seconds')
    const options: IssueUserTokenOptions = {
      ...(found !== undefined ? { user: found } : {}),
      tenantId: tenant.id,
      ...(fields.get('audience') !== undefined ? { audience: fields.get('audience') ?? '' } : {}),
      ...(scopes !== undefined ? { scopes } : {}),
      ...(lifetime !== undefined ? { lifetimeSeconds: Number(lifetime) } : {}),
      ...(fields.get('mfa') === 'true' ? { mfa: true } : {}),
      ...(fields.get('claims') !== undefined ? { claims: fields.get('claims') ?? '' } : {}),
      ...(fields.get('clientId') !== undefined ? { clientId: fields.get('clientId') ?? '' } : {}),
      ...(appOnly ? { appOnly: true } : {}),
    }
    try {
      const token = ctx.tokens.mintUserToken(options)
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        exp: number
        iat: number
      }
      return json(
        200,
        { token_type: 'Bearer', access_token: token, expires_in: payload.exp - payload.iat },
        { ...NO_STORE, ...CORS },
      )
    } catch (error) {
      if (error instanceof EntraError) throw error
      return json(
        400,
        { error: 'invalid_request', error_description: error instanceof Error ? error.message : 'invalid request' },
        { ...NO_STORE, ...CORS },
      )
    }
  }

  const directoryListing = (segment: string): Reply => {
    const tenant = tenantOf(segment)
    return json(
      200,
      {
        tenant,
        apps: ctx.directory.apps
          .filter((a) => a.tenantId === tenant.id || a.multiTenant)
          .map((a) => ({
            clientId: a.clientId,
            displayName: a.displayName,
            appIdUri: a.appIdUri,
            scopes: a.scopes,
            appRoles: a.appRoles,
          })),
        users: ctx.directory.users
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
      { ...NO_STORE, ...CORS },
    )
  }

  const faultControl = (method: string, body: string): Reply => {
    const describeFault = (f: {
      id: number
      spec: FaultSpec
      fired: number
      active: boolean
    }): Record<string, unknown> => ({
      id: f.id,
      fired: f.fired,
      active: f.active,
      spec: f.spec,
    })
    if (method === 'GET') return json(200, { faults: ctx.faults.list().map(describeFault) }, { ...NO_STORE, ...CORS })
    if (method === 'DELETE') {
      ctx.faults.clear()
      return json(200, { faults: [] }, { ...NO_STORE, ...CORS })
    }
    if (method !== 'POST') {
      return json(405, { error: 'invalid_request', error_description: 'Use GET, POST or DELETE.' }, CORS)
    }
    try {
      const installed = ctx.faults.inject(parseFaultSpec(JSON.parse(body)))
      return json(201, describeFault(installed), { ...NO_STORE, ...CORS })
    } catch (error) {
      const message = error instanceof TypeError ? error.message : 'the body must be a JSON fault'
      return json(400, { error: 'invalid_request', error_description: message }, { ...NO_STORE, ...CORS })
    }
  }

  const faultReply = (spec: FaultSpec, traceId: string, correlationId: string): Reply | 'drop' => {
    switch (spec.kind) {
      case 'latency':
        return errorReply(errors.serverError().spec, traceId, correlationId)
      case 'drop':
        return 'drop'
      case 'throttle': {
        const retryAfter = { 'Retry-After': String(spec.retryAfterSeconds ?? 60) }
        if (spec.body === 'text') {
          return { status: 429, headers: { 'Content-Type': 'text/plain', ...retryAfter }, body: 'Too Many Requests' }
        }
        return errorReply(
          {
            status: 429,
            error: 'temporarily_unavailable',
            codes: [90055],
            message:
              'TenantThrottlingError: There are too many incoming requests. This exception is thrown for blocked tenants.',
            headers: retryAfter,
          },
          traceId,
          correlationId,
        )
      }
      case 'server-error': {
        const status = spec.status ?? 500
        const base = status === 503 ? errors.temporarilyUnavailable().spec : errors.serverError().spec
        return errorReply(
          {
            ...base,
            status,
            ...(spec.retryAfterSeconds !== undefined
              ? { headers: { 'Retry-After': String(spec.retryAfterSeconds) } }
              : {}),
          },
          traceId,
          correlationId,
        )
      }
      case 'malformed':
        return {
          status: spec.status ?? 200,
          headers: { 'Content-Type': spec.contentType ?? 'text/html; charset=utf-8' },
          body:
            spec.body ??
            '<html><head><title>Service Unavailable</title></head><body>The service is temporarily unavailable.</body></html>',
        }
      case 'error':
        return errorReply(
          {
            status: spec.status ?? 400,
            error: spec.error,
            codes: [spec.errorCode],
            message: spec.message ?? 'Injected error.',
            ...(spec.suberror !== undefined ? { suberror: spec.suberror } : {}),
            ...(spec.claims !== undefined ? { claims: spec.claims } : {}),
          },
          traceId,
          correlationId,
        )
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now()
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', ctx.authorityHost)
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(safeDecode)
    const identity = identityRoute(url.pathname)
    const { endpoint, tenant, route } =
      identity === undefined
        ? classify(segments, method)
        : {
            endpoint: identity.startsWith('kubernetes') ? ('kubernetes' as const) : ('managed-identity' as const),
            tenant: undefined,
            route: 'identity',
          }
    const headers = headerRecord(req)
    let body = ''
    let bodyError = false
    try {
      body = await readBody(req)
    } catch (error) {
      if (error instanceof RangeError) {
        // What Entra's front door does with an oversized body: refuse it and close the connection, so the
        // unread rest of the body cannot be taken for the next request.
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
        res.end('Request Entity Too Large')
        return
      }
      bodyError = true
    }
    const fields = formFields(body, headers['content-type'])
    const basicId = /^Basic\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1]
    const clientId =
      fields.get('client_id') ??
      (basicId !== undefined
        ? safeDecode((Buffer.from(basicId, 'base64').toString('utf8').split(':')[0] ?? '').replace(/\+/g, ' '))
        : undefined)
    const record: RecordedRequest = {
      id: nextId++,
      receivedAt: Date.now(),
      method,
      path: url.pathname,
      endpoint,
      tenant,
      query: Object.fromEntries(url.searchParams),
      headers,
      form: Object.fromEntries(fields),
      grantType: fields.get('grant_type'),
      clientId,
      status: 0,
      error: undefined,
      errorCodes: undefined,
      faults: [],
      durationMs: 0,
    }
    ctx.record(record)
    const traceId = newTraceId()
    const correlationId =
      headers['client-request-id'] ??
      url.searchParams.get('client-request-id') ??
      fields.get('client-request-id') ??
      newTraceId()

    const finish = (reply: Reply | 'drop'): void => {
      record.durationMs = performance.now() - started
      if (reply === 'drop') {
        req.socket.destroy()
        record.status = 0
        ctx.onFinished?.(record)
        return
      }
      record.status = reply.status
      if (reply.status >= 400 && reply.headers['Content-Type']?.includes('json') === true) {
        try {
          const parsed = JSON.parse(reply.body) as { error?: unknown; error_codes?: unknown }
          if (typeof parsed.error === 'string') record.error = parsed.error
          if (Array.isArray(parsed.error_codes)) record.errorCodes = parsed.error_codes as number[]
        } catch {
          // not an Entra body
        }
      }
      res.writeHead(reply.status, {
        'x-ms-request-id': traceId,
        'x-ms-ests-server': 'onbehalf-entra-emulator',
        'client-request-id': correlationId,
        'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
        'Content-Length': String(Buffer.byteLength(reply.body)),
        ...reply.headers,
      })
      res.end(reply.body)
      ctx.onFinished?.(record)
    }

    try {
      // The fault control route is exempt, so an 'any' fault can always be removed over HTTP.
      const selected =
        route === 'faults'
          ? { latencyMs: 0, answer: undefined, fired: [] }
          : ctx.faults.select({
              endpoint,
              ...(record.grantType !== undefined ? { grantType: record.grantType } : {}),
              ...(clientId !== undefined ? { clientId } : {}),
              ...(tenant !== undefined ? { tenant } : {}),
            })
      record.faults = selected.fired
      if (selected.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, selected.latencyMs))
      if (selected.answer !== undefined) {
        finish(faultReply(selected.answer, traceId, correlationId))
        return
      }
      if (bodyError) throw errors.missingParameter('grant_type')
      if (method === 'OPTIONS') {
        finish({ status: 204, headers: { ...CORS }, body: '' })
        return
      }
      if (identity !== undefined && ctx.identity !== undefined) {
        finish(ctx.identity(identity, method, url.searchParams, headers))
        return
      }
      switch (route) {
        case 'instance':
          finish(instanceDiscovery(url.searchParams))
          return
        case 'oidc':
          finish(openIdConfiguration(tenant ?? ''))
          return
        case 'jwks': {
          const segment = tenant ?? 'common'
          const issuerTenant = WELL_KNOWN_TENANTS.has(segment.toLowerCase()) ? '{tenantid}' : tenantOf(segment).id
          finish(json(200, ctx.issuer.jwks(issuerTenant), DISCOVERY_CACHE))
          return
        }
        case 'token': {
          const segment = tenant ?? ''
          let resolved = ctx.directory.findTenant(segment)
          if (resolved === undefined && WELL_KNOWN_TENANTS.has(segment.toLowerCase()) && clientId !== undefined) {
            // On /common and /organizations the client's home tenant answers.
            const app = ctx.directory.findApp(clientId)
            if (app !== undefined) resolved = ctx.directory.findTenant(app.tenantId)
          }
          if (resolved === undefined) throw errors.tenantNotFound(segment)
          const { body: tokenBody } = await ctx.tokens.token({
            tenant: resolved,
            tenantSegment: segment,
            form: fields,
            authorization: headers['authorization'],
          })
          finish(json(200, tokenBody, NO_STORE))
          return
        }
        case 'token-get':
          tenantOf(tenant ?? '')
          throw new EntraError({
            status: 400,
            error: 'invalid_request',
            codes: [900561],
            message: 'The endpoint only accepts POST requests. Received a GET request.',
          })
        case 'token-v1':
          tenantOf(tenant ?? '')
          throw new EntraError({
            status: 400,
            error: 'invalid_request',
            codes: [90056],
            message: 'This emulator serves only the v2.0 token endpoint (/oauth2/v2.0/token).',
          })
        case 'authorize':
          tenantOf(tenant ?? '')
          throw new EntraError({
            status: 400,
            error: 'invalid_request',
            codes: [90056],
            message: 'Interactive sign-in is not emulated. Mint user tokens with POST /{tenant}/test/user-token.',
          })
        case 'user-token':
          if (method !== 'POST') {
            finish(json(405, { error: 'invalid_request', error_description: 'Use POST.' }, CORS))
            return
          }
          finish(userToken(tenant ?? '', fields))
          return
        case 'faults':
          finish(faultControl(method, body))
          return
        case 'directory':
          finish(directoryListing(tenant ?? ''))
          return
        case 'error-page':
          finish({
            status: 200,
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
            body: `Error code ${url.searchParams.get('code') ?? ''} (onbehalf Entra emulator).`,
          })
          return
        case 'root':
        case 'not-found':
          finish(json(404, { error: 'not_found', error_description: `No emulator endpoint at ${url.pathname}.` }))
          return
        default:
          finish(json(404, { error: 'not_found', error_description: `No emulator endpoint at ${url.pathname}.` }))
      }
    } catch (error) {
      if (error instanceof EntraError) {
        finish(errorReply(error.spec, traceId, correlationId))
        return
      }
      // Never echo internals (they could hold request material): a generic Entra 500.
      finish(errorReply(errors.serverError().spec, traceId, correlationId))
    }
  }

  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500)
        res.end()
      }
    })
  }
}
