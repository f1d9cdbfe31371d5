/**
 * onbehalf: `OnBehalfOfCredential` from `@onbehalf/azure`, built per call (the pattern it is designed for),
 * with the jose or the msal engine, over one memory cache sized for the largest run.
 *
 * @module
 */
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { createMemoryTokenCache, type EngineFactory, type OboEngine, type TokenResult } from '@onbehalf/core'
import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'
import type { EmulatorAccess } from '../child-protocol.ts'
import type { SyntheticUser } from '../synthetic.ts'
import type { Contender } from './contender.ts'

/**
 * The onbehalf contender for one engine.
 *
 * Pre-filling goes through the same public API as real calls: credentials built with an engine factory that
 * wraps the real one (same `name`, same `fingerprint`, so the same cache keys) and answers a synthetic user's
 * exchange with a token shaped like the real one, instead of calling the emulator. The entries are therefore
 * written by the token provider exactly as a real exchange writes them.
 *
 * @example
 * ```ts
 * const ours = oursContender('ours-jose', access, { maxEntries: 250_000 })
 * const token = await ours.call(assertion)
 * ```
 */
export function oursContender(
  id: 'ours-jose' | 'ours-msal',
  access: EmulatorAccess,
  options: { maxEntries: number },
): Contender {
  const engine: EngineFactory = id === 'ours-jose' ? createJoseEngine() : createMsalEngine()
  // The bench holds every user: the byte budget must not bind before the entry bound (8 KB per entry is ample).
  const cache = createMemoryTokenCache({ maxEntries: options.maxEntries, maxBytes: options.maxEntries * 8_192 })
  const { tenantId, clientId, clientSecret, authorityHost: authority, scope } = access
  let template: TokenResult | undefined
  const pending = new Map<string, SyntheticUser>()

  const prefillEngine: EngineFactory = (config) => {
    const real: OboEngine = engine(config)
    return {
      name: real.name,
      fingerprint: real.fingerprint,
      exchange: (request) => {
        const user = pending.get(request.userAssertion)
        if (user === undefined || template === undefined) {
          return Promise.reject(new Error('not a synthetic user'))
        }
        const { refreshToken, ...rest } = template
        return Promise.resolve({
          ...rest,
          accessToken: user.accessToken,
          ...(refreshToken === undefined ? {} : { refreshToken: user.refreshToken }),
        })
      },
      redeemRefreshToken: () => Promise.reject(new Error('not used by the benchmark')),
      close: () => real.close(),
    }
  }

  // Options written out per call, as application code does (the README's per-request pattern). Instance
  // discovery is off for every contender: the emulator is a private authority (msal-node trusts it through
  // knownAuthorities, @azure/identity through disableInstanceDiscovery).
  const call = async (assertion: string): Promise<string> => {
    const credential = new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion: assertion,
      clientSecret,
      authority,
      disableInstanceDiscovery: true,
      cache,
      engine,
    })
    return (await credential.getToken(scope)).token
  }

  return {
    id,
    call,
    learnTemplate: async (assertion) => {
      const direct = engine({
        clientId: access.clientId,
        credential: { kind: 'secret', secret: access.clientSecret },
        authorityHost: access.authorityHost,
        disableInstanceDiscovery: true,
      })
      try {
        template = await direct.exchange({
          tenantId: access.tenantId,
          userAssertion: assertion,
          scopes: [access.scope],
        })
      } finally {
        await direct.close()
      }
      return {
        assertion,
        accessToken: template.accessToken,
        refreshTokenLength: template.refreshToken?.length ?? 0,
      }
    },
    prefill: async (users) => {
      if (template === undefined) throw new Error('learnTemplate first')
      const batch = 2_000
      for (let i = 0; i < users.length; i += batch) {
        const slice = users.slice(i, i + batch)
        for (const user of slice) pending.set(user.assertion, user)
        const tokens = await Promise.all(
          slice.map(async (user) => {
            const credential = new OnBehalfOfCredential(tenantId, clientId, {
              userAssertion: user.assertion,
              clientSecret,
              authority,
              disableInstanceDiscovery: true,
              cache,
              engine: prefillEngine,
            })
            return (await credential.getToken(scope)).token
          }),
        )
        pending.clear()
        if (tokens.some((token, k) => token !== slice[k]?.accessToken)) {
          throw new Error('pre-filled entries did not round-trip')
        }
      }
    },
    tokenBytesPerUser: () =>
      template === undefined ? 0 : template.accessToken.length + (template.refreshToken?.length ?? 0),
  }
}
