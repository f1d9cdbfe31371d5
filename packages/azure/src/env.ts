/**
 * Environment variables the Azure SDK defines, read when needed (not at import), so a test or a host that sets
 * them late is honoured.
 *
 * @module
 */

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
