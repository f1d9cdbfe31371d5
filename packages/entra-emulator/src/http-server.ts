import type { IncomingMessage, ServerResponse } from 'node:http'
import { EntraError, errors, newTraceId } from './entra-error.ts'
import { faultReply } from './http/fault-reply.ts'
import { formFields, headerRecord, readBody, requestClientId, safeDecode } from './http/incoming.ts'
import { CORS, NO_STORE, entraErrorReply, json } from './http/reply.ts'
import type { ErrorIds, Reply } from './http/reply.ts'
import type { RecordedRequest } from './request-log.ts'
import { ALL_ROUTES } from './routes/all-routes.ts'
import type { EmulatorServices, Route, RoutePath } from './routes/route.ts'

/**
 * What the request handler needs.
 * @example
 * ```ts
 * server.on('request', createRequestHandler({ authorityHost, hostAliases, directory, issuer, tokens, faults, record }))
 * ```
 */
export interface HttpContext extends EmulatorServices {
  readonly record: (request: RecordedRequest) => void
  /** Called when a request is finished (the CLI logs it). */
  readonly onFinished?: (request: RecordedRequest) => void
}

function notFound(url: URL): Reply {
  return json(404, { error: 'not_found', error_description: `No emulator endpoint at ${url.pathname}.` })
}

/**
 * Whether a browser sent this request from a page of another origin: an `Origin` header that is not one of the
 * emulator's own, or `Sec-Fetch-Site` saying so. Node clients (fetch, MSAL, curl) send neither.
 */
function fromOtherOrigin(headers: Readonly<Record<string, string>>, ownOrigins: readonly string[]): boolean {
  const origin = headers['origin']
  if (origin !== undefined && !ownOrigins.includes(origin.toLowerCase())) return true
  const site = headers['sec-fetch-site']
  return site === 'cross-site' || site === 'same-site'
}

function routePath(url: URL): RoutePath {
  const segments = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode)
  const [first, ...rest] = segments
  return { segments, first, tail: rest.join('/').toLowerCase() }
}

/**
 * Creates the HTTP request handler: reads and records each request, applies injected faults, and hands the
 * request to the first route that matches (see `routes/all-routes.ts`).
 *
 * @example
 * ```ts
 * server.on('request', createRequestHandler(context))
 * ```
 */
export function createRequestHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  let nextId = 1
  const scheme = new URL(ctx.authorityHost).protocol
  const ownOrigins = ctx.hostAliases.map((host) => `${scheme}//${host}`.toLowerCase())

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now()
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', ctx.authorityHost)
    const path = routePath(url)
    let route: Route | undefined
    let tenant: string | undefined
    for (const candidate of ALL_ROUTES) {
      const matched = candidate.match(path, method)
      if (matched !== undefined) {
        route = candidate
        tenant = matched.tenant
        break
      }
    }
    // An unmatched path is still counted under its first segment, as a tenant.
    if (route === undefined) tenant = path.first
    const endpoint = route?.endpoint ?? 'other'
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
    const clientId = requestClientId(fields, headers['authorization'])
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
    const ids: ErrorIds = {
      traceId: newTraceId(),
      correlationId:
        headers['client-request-id'] ??
        url.searchParams.get('client-request-id') ??
        fields.get('client-request-id') ??
        newTraceId(),
    }

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
        'x-ms-request-id': ids.traceId,
        'x-ms-ests-server': 'onbehalf-entra-emulator',
        'client-request-id': ids.correlationId,
        'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
        'Content-Length': String(Buffer.byteLength(reply.body)),
        ...reply.headers,
      })
      res.end(reply.body)
      ctx.onFinished?.(record)
    }

    if (route?.sameOriginOnly === true && fromOtherOrigin(headers, ownOrigins)) {
      // Before faults and before any effect: a page in the developer's browser must not mint tokens or inject faults.
      finish(
        json(
          403,
          {
            error: 'forbidden',
            error_description:
              'The emulator test endpoints answer requests from their own origin only, not from web pages of other ' +
              'origins. Call them from Node (emu.fetch, curl) or mint tokens with emu.issueUserToken.',
          },
          NO_STORE,
        ),
      )
      return
    }

    try {
      const selected =
        route?.faultExempt === true
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
        finish(faultReply(selected.answer, ids, ctx.authorityHost))
        return
      }
      if (bodyError) throw errors.missingParameter('grant_type')
      if (method === 'OPTIONS') {
        finish({ status: 204, headers: route?.sameOriginOnly === true ? {} : { ...CORS }, body: '' })
        return
      }
      if (route === undefined) {
        finish(notFound(url))
        return
      }
      finish(await route.handle({ method, url, tenant, headers, body, fields, clientId }, ctx))
    } catch (error) {
      // Never echo internals (they could hold request material): anything but an EntraError is a generic 500.
      finish(
        entraErrorReply(error instanceof EntraError ? error.spec : errors.serverError().spec, ids, ctx.authorityHost),
      )
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
