import type { ExchangeRequest, OboEngine, RefreshRequest, TokenResult } from '../src/engine.ts'

/** A scripted engine for provider tests: counts calls, lets a test hold or fail each one. */
export interface FakeEngine extends OboEngine {
  readonly exchanges: ExchangeRequest[]
  readonly refreshes: RefreshRequest[]
  /** Replaces what the next calls do. */
  behaviour: (request: ExchangeRequest | RefreshRequest, call: number) => Promise<TokenResult>
}

export function createFakeEngine(
  options: { now?: () => number; lifetimeMs?: number; fingerprint?: string } = {},
): FakeEngine {
  const now = options.now ?? Date.now
  const lifetimeMs = options.lifetimeMs ?? 3_600_000
  let calls = 0
  const engine: FakeEngine = {
    name: 'fake',
    fingerprint: options.fingerprint ?? 'f'.repeat(64),
    exchanges: [],
    refreshes: [],
    behaviour: async (request) => ({
      accessToken: `token:${'userAssertion' in request ? request.userAssertion : request.refreshToken}:${request.tenantId}:${[...request.scopes].sort().join(' ')}:${request.claims ?? ''}:${calls}`,
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: now() + lifetimeMs,
    }),
    exchange(request) {
      engine.exchanges.push(request)
      return engine.behaviour(request, ++calls)
    },
    redeemRefreshToken(request) {
      engine.refreshes.push(request)
      return engine.behaviour(request, ++calls)
    },
    async close() {},
  }
  return engine
}

/** A promise with its settle functions exposed. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
