// The scenario every runtime runs, from the packed tarballs: an On-Behalf-Of exchange through core's token
// provider with the jose engine, then the same request again, which the provider must serve from its cache.
// It uses the runtime's own global fetch (no `fetch` in the config): trusting the emulator's CA is the
// runtime's business (Deno --cert, Bun NODE_EXTRA_CA_CERTS, workerd's trustedCertificates).
// It also hashes known inputs with core's SHA-256, so Node can check the implementation the runtime resolved.
import { createTokenProvider, createMemoryTokenCache, sha256Base64Url, sha256Hex } from '@onbehalf/core'
import { joseEngine } from '@onbehalf/jose'

/**
 * @param {{ authorityHost: string, tenantId: string, clientId: string, credential: object, userAssertion: string,
 *   scopes: string[], hashInputs: string[] }} input
 * @returns {Promise<object>} what Node checks: both tokens, the provider's counters, the hashes, or the error
 */
export async function runScenario(input) {
  const hashes = input.hashInputs.map((text) => ({ hex: sha256Hex(text), base64Url: sha256Base64Url(text) }))
  const provider = createTokenProvider({
    engine: joseEngine({
      clientId: input.clientId,
      authorityHost: input.authorityHost,
      credential: input.credential,
      // The emulator is not a host Entra's instance discovery vouches for, and the runtimes reach nothing else.
      disableInstanceDiscovery: true,
    }),
    cache: createMemoryTokenCache({ maxEntries: 10 }),
  })
  const request = { tenantId: input.tenantId, userAssertion: input.userAssertion, scopes: input.scopes }
  try {
    const first = await provider.getToken(request)
    const second = await provider.getToken(request)
    return { ok: true, tokens: [first.accessToken, second.accessToken], stats: provider.stats(), hashes }
  } catch (error) {
    return { ok: false, error: `${error?.code ?? error?.name}: ${error?.message}`, hashes }
  }
}
