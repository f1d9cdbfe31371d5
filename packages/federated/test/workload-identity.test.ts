import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OboError } from '@onbehalf/core'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workloadIdentityAssertion } from '../src/index.ts'
import { engines, exchange, registerSecretlessApi } from './setup.ts'

let emu: EntraEmulator
let dir: string

beforeAll(async () => {
  // The tests compare the assertions the emulator received, so it keeps them as sent.
  emu = await startEmulator({ recordSecrets: true })
  dir = mkdtempSync(join(tmpdir(), 'onbehalf-federated-'))
})
afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Writes the file the way the kubelet does: a new file renamed over the old one. */
function project(path: string, content: string): void {
  const next = `${path}.${Math.random().toString(36).slice(2)}`
  writeFileSync(next, content)
  renameSync(next, path)
}

const assertionsSentBy = (clientId: string): string[] =>
  emu.requests
    .filter((r) => r.endpoint === 'token' && r.clientId === clientId)
    .map((r) => r.form['client_assertion'] ?? '')

describe.each(engines)('workload identity, %s engine', (name, engine) => {
  it('completes OBO with the projected token, and the next exchange after a rotation uses the new file', async () => {
    const api = registerSecretlessApi(emu, `WI API ${name}`)
    const subject = `system:serviceaccount:payments:api-${name}`
    emu.addFederatedCredential(api, { issuer: emu.kubernetesIssuer, subject })
    const tokenFile = join(dir, `token-${name}`)
    const first = emu.issueServiceAccountToken({ namespace: 'payments', serviceAccount: `api-${name}` })
    project(tokenFile, `${first}\n`)
    const getClientAssertion = workloadIdentityAssertion({ env: { AZURE_FEDERATED_TOKEN_FILE: tokenFile } })

    await exchange(emu, { clientId: api.clientId, getClientAssertion, engine })
    await exchange(emu, { clientId: api.clientId, getClientAssertion, engine })
    expect(assertionsSentBy(api.clientId)).toEqual([first, first])
    expect(getClientAssertion.platformRequests).toBe(1)

    const second = emu.issueServiceAccountToken({
      namespace: 'payments',
      serviceAccount: `api-${name}`,
      lifetimeSeconds: 7200,
    })
    expect(second).not.toBe(first)
    project(tokenFile, second)
    await exchange(emu, { clientId: api.clientId, getClientAssertion, engine })
    expect(assertionsSentBy(api.clientId)).toEqual([first, first, second])
    expect(getClientAssertion.platformRequests).toBe(2)
  })
})

describe('workload identity refusals', () => {
  it('refuses an empty (whitespace only) file with CLIENT_ASSERTION_FAILED naming the file, before any token request', async () => {
    const tokenFile = join(dir, 'empty')
    writeFileSync(tokenFile, ' \n')
    const getClientAssertion = workloadIdentityAssertion({ tokenFile })
    const error = await getClientAssertion().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OboError)
    expect(error).toMatchObject({ code: 'CLIENT_ASSERTION_FAILED' })
    expect((error as Error).message).toContain(`${tokenFile} is empty`)

    const api = registerSecretlessApi(emu, 'WI API (empty file)')
    const before = emu.requests.length
    const failure = await exchange(emu, { clientId: api.clientId, getClientAssertion, engine: undefined }).catch(
      (e: unknown) => e,
    )
    expect(failure).toMatchObject({ name: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' })
    expect(emu.requests.slice(before).filter((r) => r.endpoint === 'token')).toHaveLength(0)
  })

  it('refuses a missing file and a missing setting, naming what to set', async () => {
    const missing = workloadIdentityAssertion({ tokenFile: join(dir, 'nope') })
    await expect(missing()).rejects.toMatchObject({
      code: 'CLIENT_ASSERTION_FAILED',
      message: expect.stringMatching(/does not exist/),
    })
    expect(() => workloadIdentityAssertion({ env: {} })).toThrow(/AZURE_FEDERATED_TOKEN_FILE/)
  })

  it('refuses a token that expired and was not rotated', async () => {
    const tokenFile = join(dir, 'stale')
    writeFileSync(
      tokenFile,
      emu.issueServiceAccountToken({ namespace: 'a', serviceAccount: 'b', lifetimeSeconds: -10 }),
    )
    await expect(workloadIdentityAssertion({ tokenFile })()).rejects.toMatchObject({
      code: 'CLIENT_ASSERTION_FAILED',
      message: expect.stringMatching(/expired/),
    })
  })

  it.each([
    ['no federated credential', () => undefined],
    [
      'a wrong subject',
      (api: string) =>
        emu.addFederatedCredential(api, {
          issuer: emu.kubernetesIssuer,
          subject: 'system:serviceaccount:payments:other',
        }),
    ],
    [
      'a wrong issuer',
      (api: string) =>
        emu.addFederatedCredential(api, { issuer: emu.issuer(), subject: 'system:serviceaccount:payments:api' }),
    ],
    [
      'a wrong audience',
      (api: string) =>
        emu.addFederatedCredential(api, {
          issuer: emu.kubernetesIssuer,
          subject: 'system:serviceaccount:payments:api',
          audiences: ['api://AzureADTokenExchangeUSGov'],
        }),
    ],
    [
      'a credential still propagating',
      (api: string) =>
        emu.addFederatedCredential(api, {
          issuer: emu.kubernetesIssuer,
          subject: 'system:serviceaccount:payments:api',
          propagationSeconds: 3600,
        }),
    ],
  ])('answers AADSTS70021 for %s, and the error says it can take minutes to propagate', async (_case, setUp) => {
    const api = registerSecretlessApi(emu, `WI API (${_case})`)
    setUp(api.clientId)
    const tokenFile = join(dir, `refused-${api.clientId}`)
    writeFileSync(tokenFile, emu.issueServiceAccountToken({ namespace: 'payments', serviceAccount: 'api' }))
    for (const [, engine] of engines) {
      const error = await exchange(emu, {
        clientId: api.clientId,
        getClientAssertion: workloadIdentityAssertion({ tokenFile }),
        engine,
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'AuthenticationError', statusCode: 400 })
      expect((error as { errorResponse: { errorCodes: number[] } }).errorResponse.errorCodes).toEqual([70021])
      expect((error as Error).message).toMatch(/federated identity credential/)
      expect((error as Error).message).toMatch(/can take minutes to propagate/)
    }
  })

  it('caps federated identity credentials at 20 per app and refuses wildcards', () => {
    const api = registerSecretlessApi(emu, 'WI API (limits)')
    for (let i = 0; i < 20; i += 1) {
      emu.addFederatedCredential(api, { issuer: emu.kubernetesIssuer, subject: `system:serviceaccount:ns:sa-${i}` })
    }
    expect(() =>
      emu.addFederatedCredential(api, { issuer: emu.kubernetesIssuer, subject: 'system:serviceaccount:ns:x' }),
    ).toThrow(/20/)
    const other = registerSecretlessApi(emu, 'WI API (wildcard)')
    expect(() =>
      emu.addFederatedCredential(other, { issuer: emu.kubernetesIssuer, subject: 'system:serviceaccount:ns:*' }),
    ).toThrow(/wildcard/)
  })

  it('serves the cluster issuer discovery and JWKS that verify its service-account tokens', async () => {
    const discovery = (await (await emu.fetch(`${emu.kubernetesIssuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string
      jwks_uri: string
    }
    expect(discovery.issuer).toBe(emu.kubernetesIssuer)
    const jwks = (await (await emu.fetch(discovery.jwks_uri)).json()) as { keys: { kid: string }[] }
    const token = emu.issueServiceAccountToken({ namespace: 'n', serviceAccount: 's' })
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string }
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid)
  })
})
