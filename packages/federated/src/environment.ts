/**
 * The process environment where there is one (Node, Deno with `process`, Bun), read at the call, never at
 * import, so the package loads in any runtime.
 *
 * @module
 */

/** Environment variables as a plain record. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * `process.env` when the runtime has it, else an empty record.
 *
 * @example
 * ```ts
 * const file = (options.env ?? processEnvironment())['AZURE_FEDERATED_TOKEN_FILE']
 * ```
 */
export function processEnvironment(): Environment {
  const holder = globalThis as { process?: { env?: Environment } }
  return holder.process?.env ?? {}
}

/**
 * A non-blank variable, trimmed; `undefined` when unset or blank.
 *
 * @example
 * ```ts
 * setting(env, 'IDENTITY_ENDPOINT')
 * ```
 */
export function setting(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}
