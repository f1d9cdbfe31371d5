/**
 * The two network failures a new user meets first, on both engines, against the real emulator: an authority
 * that cannot be reached (a closed loopback port, and instance discovery that cannot reach Entra's public
 * cloud) and an HTTPS server whose CA the process does not trust (the emulator without its `fetch`). Each must
 * be `NETWORK_ERROR` with a message that names the way out.
 */
import { createServer } from 'node:net'
import { createMemoryTokenCache, type EngineFactory } from '@onbehalf/core'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthenticationError, OnBehalfOfCredential } from '../src/index.ts'

let emu: EntraEmulator
/** An emulator already closed: its `fetch` still routes login.microsoftonline.com to its (now closed) port. */
let closedEmu: EntraEmulator
let closedPort: number

beforeAll(async () => {
  emu = await startEmulator()
  closedEmu = await startEmulator()
  await closedEmu.close()
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  closedPort = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
}, 60_000)
afterAll(async () => {
  await emu.close()
})

// Quick retries for jose (the failures are permanent); msal takes no options and uses core's default policy.
const engines: ReadonlyArray<readonly [string, EngineFactory]> = [
  ['jose', createJoseEngine({ retryBaseDelayMs: 5, retryMaxDelayMs: 10 })],
  ['msal', createMsalEngine()],
]

/** Where the credential goes: the options under test. */
interface Target {
  readonly authority: string
  readonly disableInstanceDiscovery?: boolean
  readonly fetch?: typeof globalThis.fetch
}

async function failure(target: Target, engine: EngineFactory): Promise<Error> {
  const credential = new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
    userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
    clientSecret: emu.defaults.middleTier.clientSecret,
    cache: createMemoryTokenCache(),
    engine,
    ...target,
  })
  try {
    const error = await credential.getToken(emu.defaults.downstream.defaultScope).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(AuthenticationError)
    return error as Error
  } finally {
    await credential.close()
  }
}

// Each case waits out the engine's retries of a refused connection: generous time, so a loaded machine cannot
// turn a right answer into a timeout.
describe.each(engines)('NETWORK_ERROR messages name the way out (%s engine)', { timeout: 60_000 }, (_name, engine) => {
  it('an authority host on a closed port: unreachable, set authorityHost and disableInstanceDiscovery', async () => {
    const error = await failure(
      { authority: `https://127.0.0.1:${closedPort}`, disableInstanceDiscovery: true, fetch: emu.fetch },
      engine,
    )
    expect(error).toMatchObject({ code: 'NETWORK_ERROR' })
    expect(error.message).toContain(`127.0.0.1:${closedPort}`)
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.message).toContain('The authority is unreachable')
    expect(error.message).toContain('`authorityHost`')
    expect(error.message).toContain('`disableInstanceDiscovery: true`')
  })

  it('instance discovery that cannot reach login.microsoftonline.com: says so, and the same way out', async () => {
    // closedEmu.fetch routes login.microsoftonline.com to the closed emulator, as an offline machine would fail.
    const error = await failure({ authority: closedEmu.authorityHost, fetch: closedEmu.fetch }, engine)
    expect(error).toMatchObject({ code: 'NETWORK_ERROR' })
    expect(error.message).toContain('Could not reach login.microsoftonline.com: ECONNREFUSED')
    expect(error.message).toContain('instance discovery')
    expect(error.message).toContain('`disableInstanceDiscovery: true`')
  })

  it("the emulator's HTTPS without its CA: untrusted certificate, pass emu.fetch or NODE_EXTRA_CA_CERTS", async () => {
    // No `fetch` option: the global fetch, which trusts only the public roots (as a user's first try does).
    const error = await failure({ authority: emu.authorityHost, disableInstanceDiscovery: true }, engine)
    expect(error).toMatchObject({ code: 'NETWORK_ERROR' })
    expect(error.message).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
    )
    expect(error.message).toContain('emu.fetch')
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS')
    expect(error.message).not.toContain('disableInstanceDiscovery')
  })
})
