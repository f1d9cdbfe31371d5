import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callDocuments } from '../src/demo-client.ts'
import { DemoError } from '../src/demo-error.ts'
import { entraIdentity, usesRealEntra } from '../src/identity.ts'
import { startDemoStack, type DemoStack } from '../src/stack.ts'

// Real-tenant mode, with the emulator playing the tenant: the demo starts no emulator of its own, reads
// everything from the environment, and the middle tier authenticates with a certificate file.
let emu: EntraEmulator
let stack: DemoStack
let dir: string

beforeAll(async () => {
  emu = await startEmulator()
  dir = mkdtempSync(join(tmpdir(), 'onbehalf-demo-'))
  const certificatePath = join(dir, 'middle-tier.pem')
  writeFileSync(certificatePath, `${emu.defaults.middleTier.privateKeyPem}\n${emu.defaults.middleTier.certificatePem}`)
  stack = await startDemoStack({
    env: {
      AZURE_TENANT_ID: emu.tenantId,
      AZURE_AUTHORITY_HOST: emu.authorityHost,
      DISABLE_INSTANCE_DISCOVERY: 'true',
      MIDDLE_TIER_CLIENT_ID: emu.defaults.middleTier.clientId,
      MIDDLE_TIER_CERTIFICATE_PATH: certificatePath,
      DOWNSTREAM_APP_ID_URI: emu.defaults.downstream.appIdUri,
      DOWNSTREAM_CLIENT_ID: emu.defaults.downstream.clientId,
    },
    entraFetch: emu.fetch,
  })
})

afterAll(async () => {
  await stack?.close()
  await emu?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('real-tenant mode', () => {
  it('starts no emulator and offers no simulated sign-in', async () => {
    expect(stack.identity.mode).toBe('entra')
    expect(stack.identity.emulator).toBeUndefined()
    const signIn = await fetch(`${stack.url}/demo/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'plain' }),
    })
    expect(signIn.status).toBe(404)
  })

  it('runs the OBO chain with a certificate credential: miss, then hit, with one token request', async () => {
    const token = emu.issueUserToken({ user: emu.defaults.users.plain })
    const first = await callDocuments(stack.url, token)
    const second = await callDocuments(stack.url, token)
    expect(first.status).toBe(200)
    expect(first.body.chain?.cache).toBe('miss')
    expect(first.body.chain?.obo?.['azpacr']).toBe('2')
    expect(second.body.chain?.cache).toBe('hit')
    const obo = emu.requests.filter((r) => r.form['requested_token_use'] === 'on_behalf_of')
    expect(obo).toHaveLength(1)
    expect(obo[0]?.form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
  })

  it('relays the MFA challenge the same way', async () => {
    const result = await callDocuments(stack.url, emu.issueUserToken({ user: emu.defaults.users.mfa }))
    expect(result.status).toBe(401)
    expect(result.wwwAuthenticate).toContain('error="insufficient_claims"')
  })
})

describe('environment', () => {
  it('switches to real-tenant mode on any middle-tier or downstream variable, not on AZURE_TENANT_ID alone', () => {
    expect(usesRealEntra({})).toBe(false)
    expect(usesRealEntra({ AZURE_TENANT_ID: 'contoso.onmicrosoft.com' })).toBe(false)
    expect(usesRealEntra({ AZURE_TENANT_ID: 'contoso.onmicrosoft.com', MIDDLE_TIER_CLIENT_ID: 'x' })).toBe(true)
    expect(usesRealEntra({ MIDDLE_TIER_CLIENT_ID: 'x' })).toBe(true)
    expect(usesRealEntra({ DOWNSTREAM_APP_ID_URI: 'api://d' })).toBe(true)
  })

  it('names every missing variable at once, with the guide', async () => {
    const error = await entraIdentity({ MIDDLE_TIER_CLIENT_ID: 'c' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DemoError)
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION' })
    const { message } = error as DemoError
    expect(message).toContain('AZURE_TENANT_ID is not set')
    expect(message).toContain('DOWNSTREAM_APP_ID_URI is not set')
    expect(message).toContain('No client credential')
    expect(message).toContain('docs/real-tenant.md')
  })

  it('wants exactly one client credential, and a readable certificate file', async () => {
    const base = { AZURE_TENANT_ID: 't', MIDDLE_TIER_CLIENT_ID: 'c', DOWNSTREAM_APP_ID_URI: 'api://d' }
    await expect(entraIdentity(base)).rejects.toThrow(/MIDDLE_TIER_CLIENT_SECRET/)
    await expect(
      entraIdentity({ ...base, MIDDLE_TIER_CLIENT_SECRET: 's', MIDDLE_TIER_CERTIFICATE_PATH: '/x.pem' }),
    ).rejects.toThrow(/exactly one[\s\S]*MIDDLE_TIER_CERTIFICATE_PATH cannot be read \(ENOENT/)
  })

  it('explains an identity provider that cannot be reached', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    })
    const error = await entraIdentity(
      {
        AZURE_TENANT_ID: 't',
        MIDDLE_TIER_CLIENT_ID: 'c',
        MIDDLE_TIER_CLIENT_SECRET: 's',
        DOWNSTREAM_APP_ID_URI: 'api://d',
      },
      { fetch: () => Promise.reject(refused) },
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'IDENTITY_PROVIDER_UNREACHABLE' })
    expect((error as Error).message).toContain('Cannot reach login.microsoftonline.com (ECONNREFUSED)')
    expect((error as Error).message).toContain('pnpm demo')
  })
})
