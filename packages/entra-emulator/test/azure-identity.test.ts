import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { OnBehalfOfCredential } from '@azure/identity'
import type { TokenCredentialOptions } from '@azure/identity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAzureHttpClient, startEmulator } from '../src/index.ts'
import type { EntraEmulator } from '../src/index.ts'
import { claimsOf } from './helpers.ts'

type HttpClient = NonNullable<TokenCredentialOptions['httpClient']>

/** An Azure SDK HttpClient over the emulator's CA-trusting fetch. */
function trustingHttpClient(emu: EntraEmulator): HttpClient {
  return createAzureHttpClient(emu.fetch)
}

let emu: EntraEmulator
let dir: string

beforeAll(async () => {
  emu = await startEmulator()
  dir = mkdtempSync(join(tmpdir(), 'entra-emulator-identity-'))
})
afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

const common = (): {
  tenantId: string
  clientId: string
  authorityHost: string
  disableInstanceDiscovery: true
  httpClient: HttpClient
} => ({
  tenantId: emu.tenantId,
  clientId: emu.defaults.middleTier.clientId,
  authorityHost: emu.authorityHost,
  disableInstanceDiscovery: true,
  httpClient: trustingHttpClient(emu),
})

describe('@azure/identity 4.13.1 OnBehalfOfCredential against the emulator', () => {
  it('gets a downstream token with a client secret', async () => {
    const credential = new OnBehalfOfCredential({
      ...common(),
      clientSecret: emu.defaults.middleTier.clientSecret,
      userAssertionToken: emu.issueUserToken({ user: emu.defaults.users.plain }),
    })
    const token = await credential.getToken(emu.defaults.downstream.defaultScope)
    expect(claimsOf(token.token)['aud']).toBe(emu.defaults.downstream.clientId)
    expect(claimsOf(token.token)['oid']).toBe(emu.defaults.users.plain.oid)
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000)
  })

  it('serves a second /.default getToken from its cache: one token request', async () => {
    const credential = new OnBehalfOfCredential({
      ...common(),
      clientSecret: emu.defaults.middleTier.clientSecret,
      userAssertionToken: emu.issueUserToken({ user: emu.defaults.users.plain }),
    })
    emu.clearRequests()
    const first = await credential.getToken(emu.defaults.downstream.defaultScope)
    const second = await credential.getToken(emu.defaults.downstream.defaultScope)
    expect(second.token).toBe(first.token)
    expect(emu.requests.filter((r) => r.endpoint === 'token')).toHaveLength(1)
  })

  it('gets a downstream token with a certificate file (PEM key + certificate), with the chain', async () => {
    const certificatePath = join(dir, 'middle-tier.pem')
    writeFileSync(certificatePath, `${emu.defaults.middleTier.privateKeyPem}${emu.defaults.middleTier.certificatePem}`)
    for (const sendCertificateChain of [false, true]) {
      const credential = new OnBehalfOfCredential({
        ...common(),
        certificatePath,
        sendCertificateChain,
        userAssertionToken: emu.issueUserToken({ user: emu.defaults.users.plain }),
      })
      const token = await credential.getToken(emu.defaults.downstream.scopes[0] ?? '')
      expect(claimsOf(token.token)['azpacr']).toBe('2')
    }
  })

  it('gets a token with a client assertion callback (getAssertion)', async () => {
    const { clientAssertion } = await import('./helpers.ts')
    const credential = new OnBehalfOfCredential({
      ...common(),
      getAssertion: () => clientAssertion(emu),
      userAssertionToken: emu.issueUserToken({ user: emu.defaults.users.plain }),
    })
    const token = await credential.getToken(emu.defaults.downstream.scopes[0] ?? '')
    expect(claimsOf(token.token)['azpacr']).toBe('2')
  })

  it('fails with the Entra errors for the failure scenarios', async () => {
    const attempt = async (
      userAssertionToken: string,
      clientSecret = emu.defaults.middleTier.clientSecret,
    ): Promise<Error> => {
      const credential = new OnBehalfOfCredential({ ...common(), clientSecret, userAssertionToken })
      const error: unknown = await credential.getToken(emu.defaults.downstream.scopes[0] ?? '').catch((e: unknown) => e)
      if (!(error instanceof Error)) throw new Error('expected getToken to fail')
      return error
    }
    const mfa = await attempt(emu.issueUserToken({ user: emu.defaults.users.mfa }))
    expect(mfa.name).toBe('AuthenticationRequiredError')
    expect(mfa.message).toContain('AADSTS50076')
    const consent = await attempt(emu.issueUserToken({ user: emu.defaults.users.consentMissing }))
    expect(consent.message).toContain('AADSTS65001')
    const badSecret = await attempt(emu.issueUserToken({ user: emu.defaults.users.plain }), 'not-the-secret')
    expect(badSecret.message).toContain('AADSTS7000215')
    const wrongAudience = await attempt(
      emu.issueUserToken({ user: emu.defaults.users.plain, audience: emu.defaults.downstream.clientId }),
    )
    expect(wrongAudience.message).toContain('AADSTS500131')
  })

  it('works in a process that trusts the CA through NODE_EXTRA_CA_CERTS (no custom HTTP client)', async () => {
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, emu.caCertificate)
    const script = `
      import { OnBehalfOfCredential } from '@azure/identity'
      const e = process.env
      const credential = new OnBehalfOfCredential({
        tenantId: e.EMU_TENANT, clientId: e.EMU_CLIENT, clientSecret: e.EMU_SECRET, userAssertionToken: e.EMU_ASSERTION,
        authorityHost: e.EMU_AUTHORITY_HOST, disableInstanceDiscovery: true,
      })
      const token = await credential.getToken(e.EMU_SCOPE)
      process.stdout.write(token.token)
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'),
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: caFile,
        EMU_TENANT: emu.tenantId,
        EMU_CLIENT: emu.defaults.middleTier.clientId,
        EMU_SECRET: emu.defaults.middleTier.clientSecret,
        EMU_ASSERTION: emu.issueUserToken({ user: emu.defaults.users.plain }),
        EMU_AUTHORITY_HOST: emu.authorityHost,
        EMU_SCOPE: emu.defaults.downstream.defaultScope,
      },
      timeout: 30_000,
    })
    expect(claimsOf(stdout)['aud']).toBe(emu.defaults.downstream.clientId)
  })
})
