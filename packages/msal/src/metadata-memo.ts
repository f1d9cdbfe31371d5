/**
 * Authority metadata (instance discovery and OpenID configuration documents), fetched at most once per URL
 * per process. MSAL keeps metadata in each application's storage; this memo also spans applications, so a new
 * engine for an authority the process already knows makes no discovery request.
 *
 * @module
 */

/** A metadata document as MSAL's network module returns it. */
export interface MetadataResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

interface Entry {
  readonly expiresAt: number
  readonly response: Promise<MetadataResponse>
}

/** Entra serves discovery documents with `max-age=86400`; MSAL also treats them as fresh for 24 h. */
const ttlMs = 24 * 60 * 60 * 1000
/** Authorities are few (a host per cloud, a tenant per customer); the bound only guards against misuse. */
const maxEntries = 512
const entries = new Map<string, Entry>()

/**
 * The memoised document for `url`, loading it with `load` when absent or stale. Concurrent callers share
 * one load; a failed load or a non-2xx answer is not kept, so the next call tries again.
 *
 * @example
 * ```ts
 * const response = await memoisedMetadata(url, () => getJson(url))
 * ```
 */
export function memoisedMetadata(url: string, load: () => Promise<MetadataResponse>): Promise<MetadataResponse> {
  const now = Date.now()
  const hit = entries.get(url)
  if (hit !== undefined && hit.expiresAt > now) return hit.response
  const response = load()
  const entry: Entry = { expiresAt: now + ttlMs, response }
  entries.delete(url)
  entries.set(url, entry)
  if (entries.size > maxEntries) {
    const oldest = entries.keys().next().value
    if (oldest !== undefined) entries.delete(oldest)
  }
  const forget = (): void => {
    if (entries.get(url) === entry) entries.delete(url)
  }
  response.then((answer) => {
    if (answer.status < 200 || answer.status > 299) forget()
  }, forget)
  return response
}

/**
 * Forgets every memoised document (tests only: a fresh process's view).
 *
 * @example
 * ```ts
 * clearMetadataMemo()
 * ```
 */
export function clearMetadataMemo(): void {
  entries.clear()
}
