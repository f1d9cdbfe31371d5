/**
 * The one error class of the demo: a start-up problem the person running it can fix (a missing or wrong
 * environment variable, a taken port, an unreachable identity provider). `pnpm demo` prints its message alone,
 * without a stack trace, and exits 1; anything else is a bug and keeps its stack.
 *
 * @module
 */

/** What went wrong, as a stable string. */
export type DemoErrorCode = 'INVALID_CONFIGURATION' | 'PORT_IN_USE' | 'IDENTITY_PROVIDER_UNREACHABLE'

/** Where to read how to set the demo up against a real tenant (relative to the repository root). */
export const realTenantGuide = 'docs/real-tenant.md'

/**
 * A start-up problem with a message that says what to do.
 *
 * @example
 * ```ts
 * throw new DemoError('PORT_IN_USE', 'Port 4000 (DEMO_PORT) is already in use: choose another one.')
 * ```
 */
export class DemoError extends Error {
  override readonly name = 'DemoError'
  readonly code: DemoErrorCode

  constructor(code: DemoErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
