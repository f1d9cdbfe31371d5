/**
 * A scripted engine factory for unit tests of an adapter's own logic (argument rules, tenant rules, sharing,
 * error mapping): it records every engine config and request. Integration tests use the real engines against
 * the emulator.
 *
 * @example
 * ```ts
 * const fake = createFakeEngine()
 * const credential = new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret, engine: fake.factory })
 * await credential.getToken('api://downstream/.default')
 * expect(fake.exchanges).toHaveLength(1)
 * ```
 */
import type {
  EngineConfig,
  EngineFactory,
  ExchangeRequest,
  OboEngine,
  RefreshRequest,
  TokenResult,
} from '@onbehalf/core'

export interface FakeEngine {
  readonly factory: EngineFactory
  readonly configs: EngineConfig[]
  readonly exchanges: ExchangeRequest[]
  readonly refreshes: RefreshRequest[]
  /** Replace how an exchange answers (default: a fresh token valid for an hour). */
  respond: (request: ExchangeRequest, call: number) => Promise<TokenResult> | TokenResult
}

export function createFakeEngine(): FakeEngine {
  const fake: FakeEngine = {
    configs: [],
    exchanges: [],
    refreshes: [],
    respond: (request, call) => ({
      accessToken: `access-token-${call}-${request.tenantId}`,
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 3_600_000,
    }),
    factory: (config) => {
      fake.configs.push(config)
      const engine: OboEngine = {
        name: 'fake',
        fingerprint: `fake|${config.authorityHost}|${config.clientId}|${fake.configs.length}`,
        async exchange(request) {
          fake.exchanges.push(request)
          return fake.respond(request, fake.exchanges.length)
        },
        redeemRefreshToken(request) {
          fake.refreshes.push(request)
          return Promise.resolve({
            accessToken: `refreshed-${fake.refreshes.length}`,
            tokenType: 'Bearer',
            scopes: request.scopes,
            expiresAt: Date.now() + 3_600_000,
          })
        },
        close: () => Promise.resolve(),
      }
      return engine
    },
  }
  return fake
}
