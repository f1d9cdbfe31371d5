#!/usr/bin/env node
// Every published package must install and work on its own from its packed tarball. Packs each one
// with pnpm (which turns workspace:^ into real ranges), installs the tarballs with npm into empty projects, and:
//   - imports every package from ESM and from CommonJS (require of ESM, Node >= 20.19),
//   - checks that @onbehalf/azure does not bring @azure/msal-node,
//   - runs an On-Behalf-Of exchange against the emulator from the tarballs, with each engine, through
//     @onbehalf/server (whose framework adapters must load without their framework), and a secretless one:
//     @onbehalf/federated's managed identity assertion in @onbehalf/azure.
// Run after `pnpm build`: node scripts/check-tarballs.mjs
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installProject, packPackages, run } from './lib/packed-project.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'onbehalf-tarballs-'))
const packed = join(work, 'packed')
mkdirSync(packed)
const names = [
  'core',
  'certificate',
  'jose',
  'msal',
  'azure',
  'redis',
  'federated',
  'opentelemetry',
  'entra-emulator',
  'server',
]
let failures = 0

try {
  const tarball = packPackages(root, names, packed)

  function project(label, packages, extra = []) {
    return installProject(
      join(work, label),
      packages.map((n) => tarball[n]),
      extra,
    )
  }

  function check(label, ok, detail = '') {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`)
    if (!ok) failures++
  }

  const expected = {
    core: ['createTokenProvider', 'createMemoryTokenCache', 'OboError'],
    certificate: ['parseClientCertificate', 'loadClientCertificate'],
    jose: ['createJoseEngine'],
    msal: ['createMsalEngine'],
    azure: ['OnBehalfOfCredential', 'AuthenticationError', 'CredentialUnavailableError', 'AzureAuthorityHosts'],
    redis: ['createRedisTokenCache'],
    opentelemetry: ['registerOnBehalfOfMetrics', 'metricNames', 'attributeNames'],
    federated: ['managedIdentityAssertion', 'workloadIdentityAssertion', 'agentIdentityAssertion'],
    'entra-emulator': ['startEmulator'],
    server: ['createProtectedApi', 'ApiAuthError', 'requireScopes', 'requireRoles'],
  }
  const dependencies = {
    core: [],
    certificate: ['core'],
    jose: ['core', 'certificate'],
    msal: ['core', 'certificate'],
    azure: ['core', 'certificate', 'jose'],
    redis: ['core'],
    opentelemetry: ['core'],
    federated: ['core'],
    'entra-emulator': [],
    server: ['core', 'certificate', 'jose', 'azure'],
  }

  // Each package alone (with only the workspace packages it depends on).
  for (const name of names) {
    const extra =
      name === 'azure' || name === 'server'
        ? ['@azure/core-auth@1.10.1']
        : name === 'opentelemetry'
          ? ['@opentelemetry/api@1.9.0']
          : []
    const dir = project(name, [...dependencies[name], name], extra)
    const exports = JSON.stringify(expected[name])
    const esm = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('@onbehalf/${name}'); console.log(${exports}.filter((e) => !(e in m)).join(','))`,
      ],
      dir,
    ).trim()
    check(`@onbehalf/${name} installs alone and imports from ESM`, esm === '', esm && `missing ${esm}`)
    const cjs = run(
      process.execPath,
      ['-e', `const m = require('@onbehalf/${name}'); console.log(${exports}.filter((e) => !(e in m)).join(','))`],
      dir,
    ).trim()
    check(`@onbehalf/${name} loads with require()`, cjs === '', cjs && `missing ${cjs}`)
    if (name === 'server') {
      // The adapters import their framework only as types (and /mcp nothing of the MCP SDK): each subpath loads
      // with no framework installed.
      const subpaths = run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const out = []
for (const [path, names] of [['express', ['authenticate', 'apiAuthErrors']], ['fastify', ['authenticate', 'protectedApi']], ['hono', ['authenticate', 'apiAuthErrorResponse']], ['mcp', ['createMcpProtection', 'callerOf', 'toolErrorOf']]]) {
  const m = await import('@onbehalf/server/' + path)
  for (const n of names) if (!(n in m)) out.push(path + ':' + n)
}
console.log(out.join(','))`,
        ],
        dir,
      ).trim()
      check(
        '@onbehalf/server/express, /fastify, /hono and /mcp load without their framework or the MCP SDK',
        subpaths === '',
        subpaths,
      )
    }
    if (name === 'azure') {
      check(
        '@onbehalf/azure does not install @azure/msal-node',
        !existsSync(join(dir, 'node_modules', '@azure', 'msal-node')),
      )
    }
  }

  // Everything together, from the tarballs: a real exchange against the emulator with each engine.
  const dir = project('together', names, ['@azure/core-auth@1.10.1', '@opentelemetry/api@1.9.0'])
  writeFileSync(
    join(dir, 'exchange.mjs'),
    `import { startEmulator } from '@onbehalf/entra-emulator'
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { createMsalEngine } from '@onbehalf/msal'
import { managedIdentityAssertion } from '@onbehalf/federated'
const emu = await startEmulator()
try {
  const { middleTier, downstream, users } = emu.defaults
  for (const engine of [undefined, createMsalEngine()]) {
    const userAssertion = emu.issueUserToken({ user: users.plain })
    const credential = new OnBehalfOfCredential(emu.tenantId, middleTier.clientId, {
      userAssertion, clientSecret: middleTier.clientSecret, authority: emu.authorityHost, fetch: emu.fetch, ...(engine ? { engine } : {}),
    })
    const token = await credential.getToken(downstream.scopes[0])
    if (typeof token.token !== 'string' || token.expiresOnTimestamp <= Date.now()) throw new Error('no token')
  }
  // Secretless: an app with no secret and no certificate, trusting a managed identity served by the emulator.
  const api = emu.registerApp({ displayName: 'secretless', appIdUri: true, scopes: ['access_as_user'] })
  const identity = emu.addManagedIdentity()
  emu.trustManagedIdentity(api, identity)
  const getClientAssertion = managedIdentityAssertion({ clientId: identity.clientId, endpoint: emu.imdsEndpoint, fetch: emu.fetch })
  for (const engine of [undefined, createMsalEngine()]) {
    const userAssertion = emu.issueUserToken({ user: users.plain, audience: api.clientId })
    const credential = new OnBehalfOfCredential(emu.tenantId, api.clientId, {
      userAssertion, getClientAssertion, authority: emu.authorityHost, fetch: emu.fetch, ...(engine ? { engine } : {}),
    })
    const token = await credential.getToken(downstream.scopes[0])
    if (typeof token.token !== 'string') throw new Error('no secretless token')
  }
  if (getClientAssertion.platformRequests !== 1) throw new Error('the managed identity token was fetched more than once')
  // The protected API from its tarball: validate a caller's token, then exchange it.
  const { createProtectedApi } = await import('@onbehalf/server')
  const protectedApi = createProtectedApi({
    tenantId: emu.tenantId, clientId: middleTier.clientId, clientSecret: middleTier.clientSecret,
    authority: emu.authorityHost, fetch: emu.fetch,
  })
  const caller = await protectedApi.authenticate(new Request('http://127.0.0.1/', {
    headers: { Authorization: 'Bearer ' + emu.issueUserToken({ user: users.plain }) },
  }))
  const obo = await caller.getToken(downstream.scopes[0])
  if (typeof obo.token !== 'string') throw new Error('no token from @onbehalf/server')
  console.log('exchanged')
} finally {
  await emu.close()
}
`,
  )
  const exchanged = run(process.execPath, ['exchange.mjs'], dir).trim()
  check(
    'the tarballs together complete OBO against the emulator with the jose and msal engines, through @onbehalf/server, and secretless (@onbehalf/federated managed identity)',
    exchanged.endsWith('exchanged'),
    exchanged,
  )
} catch (error) {
  console.log(`FAIL ${error instanceof Error ? error.message : String(error)}`)
  if (error && typeof error === 'object' && 'stderr' in error) console.log(String(error.stderr).slice(0, 2000))
  failures++
} finally {
  rmSync(work, { recursive: true, force: true })
}
console.log(failures === 0 ? 'tarballs: all checks passed' : `tarballs: ${failures} check(s) failed`)
process.exit(failures === 0 ? 0 : 1)
