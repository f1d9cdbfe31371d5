import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createFakeEngine } from '../test/fake-engine.ts'
import { createMemoryTokenCache } from './memory-cache.ts'
import { createTokenProvider } from './token-provider.ts'

const users = ['alice', 'bob', 'carol', 'dave']
const tenants = ['tenant-a', 'tenant-b', 'tenant-c']
const scopeSets = [
  ['api://a/.default'],
  ['api://b/.default'],
  ['api://b/read', 'api://b/write'],
  ['api://b/write', 'api://b/read'],
]

describe('isolation (randomized)', () => {
  it('never answers a request with a token issued for another user, tenant, scope set, CAE mode or app', async () => {
    const call = fc.record({
      user: fc.constantFrom(...users),
      tenant: fc.constantFrom(...tenants),
      scopes: fc.constantFrom(...scopeSets),
      cae: fc.boolean(),
      app: fc.constantFrom('app-1', 'app-2'),
      delayMs: fc.integer({ min: 0, max: 3 }),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 2, max: 64 }),
        async (calls, maxEntries) => {
          // One cache shared by two apps (two engines), as the process-wide default cache is.
          const cache = createMemoryTokenCache({ maxEntries })
          const providers = new Map(
            ['app-1', 'app-2'].map((app) => {
              const engine = createFakeEngine({ fingerprint: app.padEnd(64, '0') })
              engine.behaviour = async (request, n) => {
                await new Promise((resolve) => setTimeout(resolve, n % 3))
                const identity = {
                  app,
                  user: 'userAssertion' in request ? request.userAssertion : '',
                  tenant: request.tenantId,
                  scopes: [...request.scopes].sort().join(' '),
                  cae: request.claims?.includes('cp1') === true,
                }
                return {
                  accessToken: JSON.stringify(identity),
                  tokenType: 'Bearer',
                  scopes: request.scopes,
                  expiresAt: Date.now() + 3_600_000,
                }
              }
              return [app, createTokenProvider({ engine, cache })] as const
            }),
          )
          const results = await Promise.all(
            calls.map(async (c) => {
              await new Promise((resolve) => setTimeout(resolve, c.delayMs))
              const token = await providers.get(c.app)!.getToken({
                tenantId: c.tenant,
                userAssertion: c.user,
                scopes: c.scopes,
                enableCae: c.cae,
              })
              return { c, token }
            }),
          )
          for (const { c, token } of results) {
            expect(JSON.parse(token.accessToken)).toEqual({
              app: c.app,
              user: c.user,
              tenant: c.tenant,
              scopes: [...c.scopes].sort().join(' '),
              cae: c.cae,
            })
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
