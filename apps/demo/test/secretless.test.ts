import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callDocuments, signIn } from '../src/demo-client.ts'
import { startDemoStack, type DemoStack } from '../src/stack.ts'

let stack: DemoStack

beforeAll(async () => {
  stack = await startDemoStack({ env: { ONBEHALF_CLIENT_CREDENTIAL: 'managed-identity' } })
})
afterAll(async () => {
  await stack.close()
})

describe('secretless middle tier (ONBEHALF_CLIENT_CREDENTIAL=managed-identity)', () => {
  it('exchanges with the managed identity token from the emulator IMDS, no secret, and the page says so', async () => {
    const emu = stack.identity.emulator
    if (emu === undefined) throw new Error('the stack runs without the emulator')
    const config = (await (await fetch(`${stack.url}/demo/config`)).json()) as {
      middleTier: { clientCredential: string }
    }
    expect(config.middleTier.clientCredential).toBe('managed identity')

    const first = await callDocuments(stack.url, await signIn(stack.url, 'plain'))
    const second = await callDocuments(stack.url, await signIn(stack.url, 'plain'))
    expect([first.status, second.status]).toEqual([200, 200])
    const obo = emu.requests.filter((r) => r.endpoint === 'token' && r.form['requested_token_use'] === 'on_behalf_of')
    expect(obo.length).toBeGreaterThan(0)
    for (const request of obo) {
      expect(request.form['client_secret']).toBeUndefined()
      expect(request.form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    }
    // The platform token is fetched once and reused by every exchange.
    const platform = emu.requests.filter((r) => r.path === '/metadata/identity/oauth2/token')
    expect(platform).toHaveLength(1)
    expect(platform[0]?.endpoint).toBe('managed-identity')
  })

  it('refuses an unknown client credential switch', async () => {
    await expect(startDemoStack({ env: { ONBEHALF_CLIENT_CREDENTIAL: 'password' } })).rejects.toThrow(
      /ONBEHALF_CLIENT_CREDENTIAL must be/,
    )
  })
})
