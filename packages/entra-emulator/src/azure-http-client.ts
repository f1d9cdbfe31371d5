import type { FetchFunction } from './trusting-fetch.ts'

/** The header bag of an Azure SDK pipeline request or response (`@azure/core-rest-pipeline`'s `HttpHeaders`). */
export interface AzureHttpHeaders {
  get(name: string): string | undefined
  has(name: string): boolean
  set(name: string, value: string | number | boolean): void
  delete(name: string): void
  toJSON(options?: { preserveCase?: boolean }): Record<string, string>
  [Symbol.iterator](): Iterator<[string, string]>
}

/** The request fields an Azure SDK `HttpClient` reads (structural, so the emulator needs no Azure SDK). */
export interface AzureHttpRequest {
  readonly url: string
  readonly method: string
  readonly headers: AzureHttpHeaders
  readonly body?: unknown
  readonly abortSignal?: unknown
}

/**
 * An Azure SDK `HttpClient` (`@azure/core-rest-pipeline`) over a fetch, e.g. the emulator's CA-trusting
 * `emu.fetch`: pass it as `httpClient` to `@azure/identity` credentials so they reach the emulator over HTTPS.
 * @example
 * ```ts
 * new OnBehalfOfCredential({ tenantId, clientId, getAssertion, userAssertionToken, authorityHost: emu.authorityHost,
 *   httpClient: createAzureHttpClient(emu.fetch) })
 * ```
 */
export function createAzureHttpClient<TRequest extends AzureHttpRequest>(
  fetch: FetchFunction,
): {
  sendRequest(
    request: TRequest,
  ): Promise<{ request: TRequest; status: number; headers: AzureHttpHeaders; bodyAsText: string }>
} {
  return {
    async sendRequest(request) {
      const res = await fetch(request.url, {
        method: request.method,
        headers: request.headers.toJSON(),
        ...(typeof request.body === 'string' ? { body: request.body } : {}),
        ...(request.abortSignal !== undefined ? { signal: request.abortSignal as AbortSignal } : {}),
      })
      return { request, status: res.status, headers: headersOf(res.headers), bodyAsText: await res.text() }
    },
  }
}

function headersOf(init: Iterable<[string, string]>): AzureHttpHeaders {
  const map = new Map<string, string>()
  for (const [k, v] of init) map.set(k.toLowerCase(), v)
  return {
    get: (name) => map.get(name.toLowerCase()),
    has: (name) => map.has(name.toLowerCase()),
    set: (name, value) => {
      map.set(name.toLowerCase(), String(value))
    },
    delete: (name) => {
      map.delete(name.toLowerCase())
    },
    toJSON: () => Object.fromEntries(map),
    [Symbol.iterator]: () => map.entries(),
  }
}
