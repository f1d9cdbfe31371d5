import { request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { Agent, request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'

/**
 * A WHATWG `fetch`.
 * @example
 * ```ts
 * const f: FetchFunction = emu.fetch
 * ```
 */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * An `https.Agent` that trusts the public roots plus the given CA (PEM), with keep-alive.
 *
 * @example
 * ```ts
 * const agent = createTrustingAgent(emu.caCertificate)
 * https.get(`${emu.authorityHost}/${emu.tenantId}/v2.0/.well-known/openid-configuration`, { agent })
 * ```
 */
export function createTrustingAgent(caCertificatePem: string): Agent {
  return new Agent({ ca: [...rootCertificates, caCertificatePem], keepAlive: true })
}

async function bodyBytes(body: RequestInit['body'] | null | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8')
  if (body instanceof ArrayBuffer) return Buffer.from(body)
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer())
  // FormData and streams: let the platform serialize them.
  return Buffer.from(await new Response(body).arrayBuffer())
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

/** Options for {@link createTrustingFetch}. */
export interface TrustingFetchOptions {
  /** PEM of the CA to trust besides the system roots. */
  readonly ca: string
  readonly agent?: Agent
  /**
   * Hosts (`host` or `host:port`) whose requests go to another origin instead, e.g.
   * `{ 'login.microsoftonline.com': emu.authorityHost }` so instance discovery, which engines ask of Entra's
   * public cloud, is answered by the emulator. Nothing is ever sent to a routed host itself.
   */
  readonly routes?: Readonly<Record<string, string>>
}

/**
 * A WHATWG `fetch` over `node:https` that trusts an extra CA (the emulator's), for code that takes a
 * `fetch` (jose's `createRemoteJWKSet` via `[customFetch]`, the onbehalf engines). Redirects are not followed.
 *
 * @example
 * ```ts
 * const fetch = createTrustingFetch({ ca: emu.caCertificate, routes: { 'login.microsoftonline.com': emu.authorityHost } })
 * const res = await fetch(`${emu.authorityHost}/${emu.tenantId}/discovery/v2.0/keys`)
 * ```
 */
export function createTrustingFetch(options: TrustingFetchOptions): FetchFunction {
  const routes = new Map(
    Object.entries(options.routes ?? {}).map(([host, origin]) => [host.toLowerCase(), new URL(origin)]),
  )
  const agent = options.agent ?? createTrustingAgent(options.ca)
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined
    const requested = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : input)
    const route = routes.get(requested.host.toLowerCase())
    const url = new URL(requested.href)
    if (route !== undefined) {
      url.protocol = route.protocol
      url.host = route.host
    }
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
    const headers = new Headers(request?.headers)
    for (const [k, v] of new Headers(init?.headers)) headers.set(k, v)
    let payload = await bodyBytes(init?.body)
    if (payload === undefined && request !== undefined && request.body !== null) {
      payload = Buffer.from(await request.arrayBuffer())
    }
    if (payload !== undefined && !headers.has('content-type') && init?.body instanceof URLSearchParams) {
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8')
    }
    const signal = init?.signal ?? request?.signal ?? undefined
    signal?.throwIfAborted()
    const outgoing: Record<string, string> = {}
    for (const [k, v] of headers) outgoing[k] = v
    if (payload !== undefined) outgoing['content-length'] = String(payload.length)
    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === 'http:' ? httpRequest : httpsRequest
      const req = send(url, { method, headers: outgoing, ...(url.protocol === 'https:' ? { agent } : {}) }, (res) => {
        readAll(res).then(
          (buffer) => {
            const responseHeaders = new Headers()
            for (const [k, v] of Object.entries(res.headers)) {
              if (v === undefined) continue
              for (const value of Array.isArray(v) ? v : [v]) responseHeaders.append(k, value)
            }
            const status = res.statusCode ?? 500
            const nullBody = status === 204 || status === 205 || status === 304 || method === 'HEAD'
            const response = new Response(nullBody ? null : new Uint8Array(buffer), {
              status,
              statusText: res.statusMessage ?? '',
              headers: responseHeaders,
            })
            Object.defineProperty(response, 'url', { value: requested.href })
            resolve(response)
          },
          (error: unknown) => reject(new TypeError('fetch failed', { cause: error })),
        )
      })
      const onAbort = (): void => {
        req.destroy()
        reject(
          signal?.reason instanceof Error
            ? signal.reason
            : new DOMException('This operation was aborted', 'AbortError'),
        )
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })))
      req.on('close', () => signal?.removeEventListener('abort', onAbort))
      req.end(payload)
    })
  }
}

/**
 * The response shape of `@azure/msal-node`'s `INetworkModule` (structurally; msal is not imported).
 * @example
 * ```ts
 * const { status, body } = await emu.networkClient.sendGetRequestAsync(emu.openIdConfigurationUrl())
 * ```
 */
export interface MsalNetworkResponse<T> {
  headers: Record<string, string>
  body: T
  status: number
}

/**
 * `@azure/msal-node`'s `INetworkModule`, structurally: pass it as `system.networkClient`.
 * @example
 * ```ts
 * new ConfidentialClientApplication({ auth, system: { networkClient: emu.networkClient } })
 * ```
 */
export interface MsalNetworkClient {
  sendGetRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
    timeout?: number,
  ): Promise<MsalNetworkResponse<T>>
  sendPostRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<MsalNetworkResponse<T>>
}

/**
 * An MSAL `system.networkClient` over a `fetch` (e.g. one trusting the emulator CA). Like msal-node's own
 * client, it parses every body as JSON and rejects when that fails.
 *
 * @example
 * ```ts
 * new ConfidentialClientApplication({ auth, system: { networkClient: createMsalNetworkClient(emu.fetch) } })
 * ```
 */
export function createMsalNetworkClient(fetchFn: FetchFunction): MsalNetworkClient {
  const send = async <T>(
    url: string,
    method: 'GET' | 'POST',
    options?: { headers?: Record<string, string>; body?: string },
    timeout?: number,
  ): Promise<MsalNetworkResponse<T>> => {
    const init: RequestInit = { method, headers: options?.headers ?? {} }
    if (method === 'POST') init.body = options?.body ?? ''
    if (timeout !== undefined && timeout > 0) init.signal = AbortSignal.timeout(timeout)
    const response = await fetchFn(url, init)
    const headers: Record<string, string> = {}
    response.headers.forEach((value, key) => {
      headers[key] = value
    })
    const text = await response.text()
    let body: T
    try {
      body = JSON.parse(text) as T
    } catch {
      throw new Error(`Failed to parse response from ${new URL(url).origin} (HTTP ${response.status}): not JSON`)
    }
    return { headers, body, status: response.status }
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send(url, 'GET', options, timeout),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  }
}
