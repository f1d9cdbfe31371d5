import type { EndpointKind } from './faults.ts'

/**
 * One request the emulator received, for assertions in tests. Secrets, assertions and tokens are redacted
 * unless the emulator was started with `recordSecrets: true` (see `redactSecret`).
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
 * How many requests each endpoint received since the emulator started: counted for every request, unlike
 * {@link RecordedRequest}s, which the log keeps only for the last `maxRecordedRequests`.
 * @example
 * ```ts
 * const before = emu.requestCounts().byEndpoint.token ?? 0
 * ```
 */
export interface RequestCounts {
  readonly total: number
  readonly byEndpoint: Readonly<Partial<Record<EndpointKind, number>>>
  /** Token requests by `grant_type`. */
  readonly byGrantType: Readonly<Record<string, number>>
}

/**
 * How the request log behaves.
 * @example
 * ```ts
 * const log = createRequestLog({ maxEntries: 100, recordSecrets: false })
 * ```
 */
export interface RequestLogOptions {
  /** The log keeps the most recent requests up to this many (oldest dropped first); 0 keeps none. */
  readonly maxEntries: number
  /** Keep secrets, assertions and tokens as received instead of redacted. */
  readonly recordSecrets: boolean
}

/**
 * The emulator's record of requests: what `emu.requests` shows.
 * @example
 * ```ts
 * const log = createRequestLog({ maxEntries: 1000, recordSecrets: false })
 * log.record(recorded)
 * log.requests.length // 1
 * ```
 */
export interface RequestLog {
  /** Recorded requests, oldest first (a live array). */
  readonly requests: RecordedRequest[]
  /** Adds a request as it arrives; its status and timing are filled in when it is answered. */
  record(this: void, request: RecordedRequest): void
  /** Forgets every recorded request (counts stay). */
  clear(this: void): void
  /** A snapshot of the counts. */
  counts(this: void): RequestCounts
}

/** Form and query fields that are credentials or tokens. */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'client_secret',
  'client_assertion',
  'assertion',
  'refresh_token',
  'access_token',
  'id_token',
  'id_token_hint',
  'code',
  'code_verifier',
  'device_code',
  'password',
])

/** Headers that carry credentials. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie'])

/** What a redacted value reads as. */
export const REDACTED = '[redacted]'

/**
 * A secret value as the log keeps it: a JWT keeps its header and claims (what tests inspect: `alg`, `x5t#S256`,
 * `aud`), never its signature, so it cannot be replayed; anything else becomes {@link REDACTED}.
 * @example
 * ```ts
 * redactSecret('eyJhbGciOi….eyJhdWQiOi….c2lnbmF0dXJl') // 'eyJhbGciOi….eyJhdWQiOi….[redacted]'
 * ```
 */
export function redactSecret(value: string): string {
  const parts = value.split('.')
  if (parts.length === 3 && parts.every((part, i) => i === 2 || /^[A-Za-z0-9_-]+$/.test(part))) {
    return `${parts[0] ?? ''}.${parts[1] ?? ''}.${REDACTED}`
  }
  return REDACTED
}

function redactFields(
  fields: Readonly<Record<string, string>>,
  secret: ReadonlySet<string>,
): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined
  for (const [name, value] of Object.entries(fields)) {
    if (!secret.has(name.toLowerCase())) continue
    out ??= { ...fields }
    out[name] = name.toLowerCase().endsWith('authorization') ? authorizationRedacted(value) : redactSecret(value)
  }
  return out ?? fields
}

function authorizationRedacted(value: string): string {
  // The scheme says how the client authenticated (Basic, Bearer), which tests assert; the credential goes.
  const scheme = /^(\S+)\s/.exec(value)?.[1]
  return scheme === undefined ? REDACTED : `${scheme} ${REDACTED}`
}

/**
 * Redacts a request's secrets (see {@link redactSecret}) in place: the router fills in the answer on the same
 * object later, and callbacks such as `onRequest` see what the log keeps.
 * @example
 * ```ts
 * redactRequest(recorded)
 * recorded.form['client_secret'] // '[redacted]'
 * ```
 */
export function redactRequest(request: RecordedRequest): void {
  Object.assign(request, {
    form: redactFields(request.form, SECRET_FIELDS),
    query: redactFields(request.query, SECRET_FIELDS),
    headers: redactFields(request.headers, SECRET_HEADERS),
  })
}

/**
 * Creates an empty request log.
 * @example
 * ```ts
 * const log = createRequestLog({ maxEntries: 1000, recordSecrets: false })
 * server.on('request', createRequestHandler({ ...context, record: log.record }))
 * ```
 */
export function createRequestLog(options: RequestLogOptions): RequestLog {
  const requests: RecordedRequest[] = []
  let total = 0
  const byEndpoint: Partial<Record<EndpointKind, number>> = {}
  const byGrantType: Record<string, number> = {}
  return {
    requests,
    record: (request) => {
      total++
      byEndpoint[request.endpoint] = (byEndpoint[request.endpoint] ?? 0) + 1
      if (request.endpoint === 'token' && request.grantType !== undefined) {
        byGrantType[request.grantType] = (byGrantType[request.grantType] ?? 0) + 1
      }
      if (!options.recordSecrets) redactRequest(request)
      if (options.maxEntries <= 0) return
      requests.push(request)
      if (requests.length > options.maxEntries) requests.splice(0, requests.length - options.maxEntries)
    },
    clear: () => {
      requests.length = 0
    },
    counts: () => ({ total, byEndpoint: { ...byEndpoint }, byGrantType: { ...byGrantType } }),
  }
}
