import type { EndpointKind } from './faults.ts'

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
 * The emulator's record of requests: what `emu.requests` shows.
 * @example
 * ```ts
 * const log = createRequestLog()
 * log.record(recorded)
 * log.requests.length // 1
 * ```
 */
export interface RequestLog {
  /** Recorded requests, oldest first (a live array). */
  readonly requests: RecordedRequest[]
  /** Adds a request as it arrives; its status and timing are filled in when it is answered. */
  record(this: void, request: RecordedRequest): void
  /** Forgets every recorded request. */
  clear(this: void): void
}

/**
 * Creates an empty request log.
 * @example
 * ```ts
 * const log = createRequestLog()
 * server.on('request', createRequestHandler({ ...context, record: log.record }))
 * ```
 */
export function createRequestLog(): RequestLog {
  const requests: RecordedRequest[] = []
  return {
    requests,
    record: (request) => {
      requests.push(request)
    },
    clear: () => {
      requests.length = 0
    },
  }
}
