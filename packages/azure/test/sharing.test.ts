/**
 * Per-request credentials share one engine and one cache: against the emulator, N credentials for one user
 * make one token request, and a certificate (in memory or by path) is parsed once per process.
 */
import { writeFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryTokenCache } from '@onbehalf/core'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { createMsalEngine } from '@onbehalf/msal'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { parseClientCertificate as ParseClientCertificate } from '@onbehalf/certificate'
import { OnBehalfOfCredential } from '../src/index.ts'

// Count the real parser's calls wherever they come from (the credential, the jose engine, the msal engine).
const parses = vi.hoisted(() => ({ count: 0 }))
vi.mock('../../certificate/src/client-certificate.ts', async (importOriginal) => {
  const original = await importOriginal<{ parseClientCertificate: typeof ParseClientCertificate }>()
  return {
    ...original,
    parseClientCertificate: (...args: Parameters<typeof ParseClientCertificate>) => {
      parses.count++
      return original.parseClientCertificate(...args)
    },
  }
})

let emu: EntraEmulator
let dir: string
let scope: string
beforeAll(async () => {
  emu = await startEmulator()
  scope = emu.defaults.downstream.defaultScope
  dir = mkdtempSync(join(tmpdir(), 'onbehalf-azure-sharing-'))
}, 60_000)
afterAll(async () => {
  await emu.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => {
  emu.clearRequests()
})

const tokenRequests = (): number => emu.requests.filter((request) => request.endpoint === 'token').length
const discoveryRequests = (): number => emu.requests.filter((request) => request.endpoint !== 'token').length

describe('per-request credentials', () => {
  it('two credentials built for the same assertion make one token request', async () => {
    const userAssertion = emu.issueUserToken({ user: emu.defaults.users.plain })
    const make = (): OnBehalfOfCredential =>
      new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
        userAssertion,
        clientSecret: emu.defaults.middleTier.clientSecret,
        authority: emu.authorityHost,
        fetch: emu.fetch,
      })
    const first = await make().getToken(scope)
    const second = await make().getToken(scope)
    expect(second.token).toBe(first.token)
    expect(tokenRequests()).toBe(1)
  })

  it('1,000 credentials for one user (certificate) → 1 token request, 1 engine, 1 certificate parse, no new discovery', async () => {
    const userAssertion = emu.issueUserToken({ user: emu.defaults.users.mfa, mfa: true })
    const certificate = `${emu.defaults.middleTier.privateKeyPem}\n${emu.defaults.middleTier.certificatePem}`
    const cache = createMemoryTokenCache()
    const before = { ...OnBehalfOfCredential.stats(), parses: parses.count }
    const make = (): OnBehalfOfCredential =>
      new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
        userAssertion,
        clientCertificate: certificate,
        authority: emu.authorityHost,
        fetch: emu.fetch,
        cache,
      })
    const first = await make().getToken(scope)
    const discoveryAfterFirst = discoveryRequests()
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => make().getToken(scope)))
    expect(new Set(tokens.map((token) => token.token))).toEqual(new Set([first.token]))
    expect(tokenRequests()).toBe(1)
    expect(discoveryRequests()).toBe(discoveryAfterFirst)
    expect(OnBehalfOfCredential.stats().enginesCreated - before.enginesCreated).toBe(1)
    expect(parses.count - before.parses).toBe(1)
  })

  it('1,000 concurrent getToken on fresh credentials for one user → 1 token request', async () => {
    const userAssertion = emu.issueUserToken({ user: emu.defaults.users.plain })
    emu.faults.inject({ kind: 'latency', latencyMs: 100, times: 1 })
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
          userAssertion,
          clientSecret: emu.defaults.middleTier.clientSecret,
          authority: emu.authorityHost,
          fetch: emu.fetch,
          cache: sharedCache,
        }).getToken(scope),
      ),
    )
    expect(new Set(tokens.map((token) => token.token)).size).toBe(1)
    expect(tokenRequests()).toBe(1)
  })

  it('clientCertificatePath is read and parsed once for many credentials; a rotated file is read again', async () => {
    const path = join(dir, 'rotating.pfx')
    writeFileSync(path, emu.defaults.middleTier.pkcs12)
    const before = { ...OnBehalfOfCredential.stats(), parses: parses.count }
    const userAssertion = emu.issueUserToken({ user: emu.defaults.users.plain })
    const cache = createMemoryTokenCache()
    const make = (): OnBehalfOfCredential =>
      new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
        userAssertion,
        clientCertificatePath: path,
        password: emu.defaults.middleTier.pkcs12Password,
        authority: emu.authorityHost,
        fetch: emu.fetch,
        cache,
      })
    await Promise.all(Array.from({ length: 50 }, () => make().getToken(scope)))
    expect(tokenRequests()).toBe(1)
    expect(OnBehalfOfCredential.stats().certificateFileReads - before.certificateFileReads).toBe(1)
    expect(parses.count - before.parses).toBe(1)
    // Rotation in place: the same certificate written as PEM, with a new modification time.
    writeFileSync(path, `${emu.defaults.middleTier.privateKeyPem}\n${emu.defaults.middleTier.certificatePem}`)
    const later = new Date(Date.now() + 5_000)
    utimesSync(path, later, later)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    await expect(
      new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
        userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
        clientCertificatePath: path,
        authority: emu.authorityHost,
        fetch: emu.fetch,
        cache: createMemoryTokenCache(),
      }).getToken(scope),
    ).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(OnBehalfOfCredential.stats().certificateFileReads - before.certificateFileReads).toBe(2)
  })

  it('with engine: createMsalEngine(), per-request credentials share one MSAL engine and one token request', async () => {
    const userAssertion = emu.issueUserToken({ user: emu.defaults.users.plain })
    const cache = createMemoryTokenCache()
    const before = OnBehalfOfCredential.stats().enginesCreated
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () =>
        new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
          userAssertion,
          clientSecret: emu.defaults.middleTier.clientSecret,
          authority: emu.authorityHost,
          fetch: emu.fetch,
          engine: createMsalEngine(),
          cache,
        }).getToken(scope),
      ),
    )
    expect(new Set(tokens.map((token) => token.token)).size).toBe(1)
    expect(tokenRequests()).toBe(1)
    expect(OnBehalfOfCredential.stats().enginesCreated - before).toBe(1)
  })
})

const sharedCache = createMemoryTokenCache()
