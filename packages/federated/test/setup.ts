/** Shared set-up of the end-to-end tests: one emulator over HTTPS, a secretless middle tier, the engines. */
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { createMemoryTokenCache, type EngineFactory, type TokenCache } from '@onbehalf/core'
import type { EntraEmulator, RegisteredApp } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'

/** Both engines: the default (jose) and msal. */
export const engines: readonly (readonly [string, EngineFactory | undefined])[] = [
  ['jose', undefined],
  ['msal', createMsalEngine()],
]

/**
 * The load tests' engines and how many concurrent first exchanges each runs. Their verdict is a request count,
 * never a duration: the jose engine gets a 2-minute deadline so that a heavily loaded machine cannot turn a
 * correct run red; the msal engine has no deadline option (30 s), so it runs a smaller burst.
 */
export const loadEngines: readonly (readonly [string, EngineFactory, number])[] = [
  ['jose', createJoseEngine({ timeoutMs: 120_000 }), 100],
  ['msal', createMsalEngine(), 20],
]

/** An app that exposes an API and holds no secret and no certificate. */
export function registerSecretlessApi(emu: EntraEmulator, displayName: string): RegisteredApp {
  return emu.registerApp({ displayName, appIdUri: true, scopes: ['access_as_user'] })
}

/** One OBO exchange for a fresh user token of `audience`, as a per-request credential would do it. */
export async function exchange(
  emu: EntraEmulator,
  options: {
    readonly clientId: string
    readonly getClientAssertion: () => Promise<string> | string
    readonly engine: EngineFactory | undefined
    readonly cache?: TokenCache
    readonly audience?: string
    readonly user?: string
    readonly userAssertion?: string
  },
): Promise<string> {
  const userAssertion =
    options.userAssertion ??
    emu.issueUserToken({
      user: options.user ?? emu.defaults.users.plain.upn,
      audience: options.audience ?? options.clientId,
    })
  const credential = new OnBehalfOfCredential(emu.tenantId, options.clientId, {
    userAssertion,
    getClientAssertion: options.getClientAssertion,
    authority: emu.authorityHost,
    fetch: emu.fetch,
    cache: options.cache ?? createMemoryTokenCache(),
    ...(options.engine !== undefined ? { engine: options.engine } : {}),
  })
  const token = await credential.getToken(emu.defaults.downstream.scopes[0] ?? '')
  return token.token
}

/** The payload of a JWT, unverified (the tests check claims the emulator put there). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}
