// The scenario every runtime runs, from the packed tarballs: an On-Behalf-Of exchange through core's token
// provider with the jose engine, then the same request again, which the provider must serve from its cache.
// It uses the runtime's own global fetch (no `fetch` in the config): trusting the emulator's CA is the
// runtime's business (Deno --cert, Bun NODE_EXTRA_CA_CERTS, workerd's trustedCertificates).
// It also hashes known inputs with core's SHA-256, so Node can check the implementation the runtime resolved.
import { createMemoryTokenCache, createTokenProvider } from '@onbehalf/core'
import { sha256Base64Url, sha256Hex } from '@onbehalf/core/engine'
import { createJoseEngine } from '@onbehalf/jose'

/**
 * A provider for `input`, and `call()` to ask it for the token once. `result()` is what Node checks: every
 * token got, the provider's counters and the digests, or the first error.
 *
 * @param {{ authorityHost: string, tenantId: string, clientId: string, credential: object, userAssertion: string,
 *   scopes: string[], hashInputs: string[] }} input
 */
export function createScenario(input) {
  const hashes = input.hashInputs.map((text) => ({ hex: sha256Hex(text), base64Url: sha256Base64Url(text) }))
  const provider = createTokenProvider({
    engine: createJoseEngine()({
      clientId: input.clientId,
      authorityHost: input.authorityHost,
      credential: input.credential,
      // The emulator is not a host Entra's instance discovery vouches for, and the runtimes reach nothing else.
      disableInstanceDiscovery: true,
    }),
    cache: createMemoryTokenCache({ maxEntries: 10 }),
  })
  const request = { tenantId: input.tenantId, userAssertion: input.userAssertion, scopes: input.scopes }
  const tokens = []
  let error
  return {
    async call() {
      try {
        if (error === undefined) tokens.push((await provider.getToken(request)).accessToken)
      } catch (caught) {
        error = `${caught?.code ?? caught?.name}: ${caught?.message}`
      }
    },
    result: () =>
      error === undefined ? { ok: true, tokens, stats: provider.stats(), hashes } : { ok: false, error, hashes },
  }
}

/** Both calls in one go (Deno, Bun). */
export async function runScenario(input) {
  const scenario = createScenario(input)
  await scenario.call()
  await scenario.call()
  return scenario.result()
}
