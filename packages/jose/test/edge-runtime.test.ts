/**
 * The built package, bundled for a Web-standard runtime (no Node built-ins), runs a full OBO exchange inside
 * the Vercel Edge Runtime sandbox (`@edge-runtime/vm`): fetch, Web Crypto and standard globals only. The
 * only thing handed in from Node is a `fetch` that trusts the emulator's private CA, as `config.fetch` allows.
 */
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EdgeVM } from '@edge-runtime/vm'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { build } from 'esbuild'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const tsc = join(packages, '..', 'node_modules', '.bin', 'tsc')

let emu: EntraEmulator
let bundle: string
beforeAll(async () => {
  // Build the packages as published (dist), then bundle them the way a Workers/Edge bundler would.
  for (const name of ['core', 'certificate', 'jose']) {
    execFileSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: join(packages, name), stdio: 'pipe' })
  }
  const result = await build({
    stdin: {
      contents: "export { createJoseEngine } from '@onbehalf/jose'",
      resolveDir: join(packages, 'jose'),
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'onbehalfJose',
    platform: 'browser',
    conditions: ['worker', 'browser'],
    logLevel: 'silent',
  })
  bundle = result.outputFiles[0]?.text ?? ''
  emu = await startEmulator()
}, 120_000)
afterAll(() => emu.close())

describe('Web-standard runtime', () => {
  it('bundles without any Node built-in', () => {
    expect(bundle.length).toBeGreaterThan(1000)
    expect(bundle).not.toMatch(/require\(["']node:/)
  })

  it('completes an exchange with a certificate and with a secret inside the Edge Runtime sandbox', async () => {
    const vm = new EdgeVM()
    expect(vm.evaluate<string>('typeof process + "," + typeof Buffer + "," + typeof require')).toBe(
      'undefined,undefined,undefined',
    )
    vm.evaluate(bundle)
    const middleTier = emu.defaults.middleTier
    const run = vm.evaluate<(input: Record<string, unknown>) => Promise<string[]>>(`(async (input) => {
      const results = []
      for (const credential of input.credentials) {
        const engine = onbehalfJose.createJoseEngine()({
          clientId: input.clientId,
          authorityHost: input.authorityHost,
          fetch: input.fetch,
          credential,
        })
        const token = await engine.exchange({ tenantId: input.tenantId, userAssertion: input.userAssertion, scopes: input.scopes })
        results.push(token.accessToken)
      }
      return results
    })`)
    const tokens = await run({
      clientId: middleTier.clientId,
      authorityHost: emu.authorityHost,
      fetch: emu.fetch,
      tenantId: emu.tenantId,
      userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      scopes: [emu.defaults.downstream.defaultScope],
      credentials: [
        { kind: 'certificate', certificate: middleTier.pkcs12, password: middleTier.pkcs12Password },
        { kind: 'secret', secret: middleTier.clientSecret },
      ],
    })
    expect(tokens).toHaveLength(2)
    for (const token of tokens) expect(decodeJwt(token).aud).toBe(emu.defaults.downstream.clientId)
    const assertion = emu.requests.find(
      (request) => request.endpoint === 'token' && request.form['client_assertion'] !== undefined,
    )
    expect(assertion?.status).toBe(200)
  })
})
