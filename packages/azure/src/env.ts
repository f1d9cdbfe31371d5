/**
 * Environment variables the Azure SDK defines, read when needed (not at import), so a test or a host that sets
 * them late is honoured.
 *
 * @module
 */

// Reading process.env costs about 0.6 µs: more than a whole cache hit's lookup. Credentials built per request
// read a variable at most once a second; a change is seen within that second.
const maxAgeMs = 1_000
const recent = new Map<string, { readonly value: string | undefined; readonly readAt: number }>()

/**
 * {@link readEnv}, remembered for up to a second: for the per-request construction path.
 *
 * @example
 * ```ts
 * const host = readEnvRecent('AZURE_AUTHORITY_HOST') ?? AzureAuthorityHosts.AzurePublicCloud
 * ```
 */
export function readEnvRecent(name: string): string | undefined {
  const now = Date.now()
  const known = recent.get(name)
  if (known !== undefined && now - known.readAt < maxAgeMs) return known.value
  const value = readEnv(name)
  recent.set(name, { value, readAt: now })
  return value
}

/** Forgets remembered values (tests that change the environment call it). */
export function forgetRecentEnv(): void {
  recent.clear()
}

/**
 * The value of an environment variable, or `undefined` when unset, empty, or there is no `process`.
 *
 * @example
 * ```ts
 * const host = readEnv('AZURE_AUTHORITY_HOST') ?? AzureAuthorityHosts.AzurePublicCloud
 * ```
 */
export function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const value = env?.[name]
  return value === undefined || value === '' ? undefined : value
}
