/**
 * What every test file of the suite shares: an emulator with canary credentials, both engines configured the
 * same way, `@azure/logger` captured at `verbose`, and the leak scanner fed with everything users could see.
 *
 * @module
 */
import { format } from 'node:util'
import { AzureLogger, setLogLevel } from '@azure/logger'
import type { EngineConfig, EngineFactory, OboEngine } from '@onbehalf/core'
import {
  startEmulator,
  type EntraEmulator,
  type RegisteredApp,
  type StartEmulatorOptions,
} from '@onbehalf/entra-emulator'
import { createJoseEngine, type JoseEngineOptions } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'
import type { LeakScanner } from './leak-scanner.ts'

/**
 * What an error message must contain to "say what to do": a remedy verb. Messages are for people; the `code`
 * is for programs.
 */
export const actionable =
  /\b(retry|try again|check|pass|use|set|add|relay|raise|create|must|register|remove|get a fresh|decode|put|install|give|provide|define|export|find|specify|requires?|required|fix|see the cause)\b|e\.g\./i

/** The two engines under test, by name. */
export type EngineName = 'jose' | 'msal'

/** Both engines, for `describe.each`. */
export const engineNames: readonly EngineName[] = ['jose', 'msal']

/**
 * The engine factory for a name; `joseOptions` tune the jose engine (the msal engine takes none).
 *
 * @example
 * ```ts
 * const engine = engineFactory('msal')({ clientId, credential, authorityHost, fetch })
 * ```
 */
export function engineFactory(name: EngineName, joseOptions: JoseEngineOptions = {}): EngineFactory {
  return name === 'jose' ? (config: EngineConfig) => createJoseEngine(joseOptions)(config) : createMsalEngine()
}

/** An emulator plus a middle-tier app whose secret is a canary. */
export interface SuiteEmulator {
  readonly emu: EntraEmulator
  /**
   * The emulator's `fetch`, watched by the file's leak scanner when one was given: every token it answers is a
   * canary before the engine reads it. Give it to every engine and credential.
   */
  readonly fetch: typeof globalThis.fetch
  /** A confidential client with a canary secret, exposing `access_as_user`; multi-tenant. */
  readonly app: RegisteredApp & { readonly clientSecret: string }
  /** A multi-tenant downstream API exposing `Read` and `Write`. */
  readonly api: RegisteredApp & { readonly appIdUri: string }
  /** A fresh user assertion (audience: {@link SuiteEmulator.app}) for a new or given user. */
  userAssertion(options?: {
    readonly user?: string
    readonly tenantId?: string
    readonly lifetimeSeconds?: number
  }): string
  /** An engine of `name` for {@link SuiteEmulator.app} (secret), trusting the emulator CA. */
  engine(name: EngineName, joseOptions?: JoseEngineOptions): OboEngine
  /** Requests to the token endpoint received since `since` (a {@link SuiteEmulator.mark}; default all). */
  tokenRequests(since?: number): number
  /** How many token requests were received so far (pass it to {@link SuiteEmulator.tokenRequests}). */
  mark(): number
}

/**
 * Starts an emulator with a canary-secret app (plus, optionally, a certificate credential) and an API.
 *
 * @example
 * ```ts
 * const suite = await startSuiteEmulator('canary-secret-…')
 * const engine = suite.engine('jose')
 * ```
 */
export async function startSuiteEmulator(
  clientSecret: string,
  options: StartEmulatorOptions & {
    readonly appCertificatePem?: string
    /** Registers every issued token as a canary before anything reads it (see {@link LeakScanner.watch}). */
    readonly scanner?: LeakScanner
    /** At most this many issued tokens become canaries (default: all). */
    readonly maxTokenCanaries?: number
  } = {},
): Promise<SuiteEmulator> {
  const { appCertificatePem, scanner, maxTokenCanaries, ...emulatorOptions } = options
  const emu = await startEmulator(emulatorOptions)
  const emuFetch = emu.fetch
  const fetch =
    scanner === undefined
      ? emuFetch
      : scanner.watch(emuFetch, maxTokenCanaries === undefined ? {} : { maxTokens: maxTokenCanaries })
  const api = emu.registerApp({
    displayName: 'Reliability API',
    multiTenant: true,
    appIdUri: true,
    scopes: ['Read', 'Write'],
  })
  const app = emu.registerApp({
    displayName: 'Reliability middle tier',
    multiTenant: true,
    clientSecret,
    ...(appCertificatePem === undefined ? {} : { certificate: { certificatePem: appCertificatePem } }),
    appIdUri: true,
    scopes: ['access_as_user'],
  })
  if (api.appIdUri === undefined || app.clientSecret === undefined) {
    throw new Error('emulator did not register the suite apps')
  }
  const withSecret = app as RegisteredApp & { readonly clientSecret: string }
  const withUri = api as RegisteredApp & { readonly appIdUri: string }
  return {
    emu,
    fetch,
    app: withSecret,
    api: withUri,
    userAssertion(assertionOptions = {}) {
      const user =
        assertionOptions.user ??
        emu.addUser({ ...(assertionOptions.tenantId === undefined ? {} : { tenantId: assertionOptions.tenantId }) }).oid
      return emu.issueUserToken({
        user,
        audience: app.clientId,
        ...(assertionOptions.lifetimeSeconds === undefined
          ? {}
          : { lifetimeSeconds: assertionOptions.lifetimeSeconds }),
      })
    },
    engine(name, joseOptions = {}) {
      return engineFactory(
        name,
        joseOptions,
      )({
        clientId: app.clientId,
        credential: { kind: 'secret', secret: clientSecret },
        authorityHost: emu.authorityHost,
        fetch,
      })
    },
    // Counts, not the request log: the log keeps only the most recent requests.
    tokenRequests(since = 0) {
      return (emu.requestCounts().byEndpoint.token ?? 0) - since
    },
    mark() {
      return emu.requestCounts().byEndpoint.token ?? 0
    },
  }
}

/** What {@link captureAzureLogs} returns. */
export interface LogCapture {
  /** Lines captured so far. */
  readonly lines: number
  restore(): void
}

/**
 * Sets `AZURE_LOG_LEVEL=verbose` (env and `setLogLevel`) and sends every `@azure/logger` line to the scanner
 * instead of stderr.
 *
 * @example
 * ```ts
 * const logs = captureAzureLogs(scanner)
 * afterAll(() => logs.restore())
 * ```
 */
export function captureAzureLogs(scanner: LeakScanner): LogCapture {
  process.env['AZURE_LOG_LEVEL'] = 'verbose'
  setLogLevel('verbose')
  const original = AzureLogger.log
  let lines = 0
  AzureLogger.log = (...args: unknown[]) => {
    lines++
    scanner.record('azure-logger', format(...args))
  }
  return {
    get lines() {
      return lines
    },
    restore() {
      AzureLogger.log = original
    },
  }
}

/**
 * Percentile of a list of numbers (nearest rank).
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5) // 2
 * ```
 */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!
}

/**
 * Runs `work` for every item with at most `concurrency` in flight.
 *
 * @example
 * ```ts
 * await runConcurrently(calls, 64, (call) => credential(call).getToken(call.scope))
 * ```
 */
export async function runConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      await work(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}
