#!/usr/bin/env node
// Every published package must install and work on its own from its packed tarball. Packs each one
// with pnpm (which turns workspace:^ into real ranges), installs the tarballs with npm into empty projects, and:
//   - imports every package from ESM and from CommonJS (require of ESM, Node >= 20.19),
//   - checks that @onbehalf/azure does not bring @azure/msal-node,
//   - runs an On-Behalf-Of exchange against the emulator from the tarballs, with each engine.
// Run after `pnpm build`: node scripts/check-tarballs.mjs
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installProject, packPackages, run } from './lib/packed-project.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'onbehalf-tarballs-'))
const packed = join(work, 'packed')
mkdirSync(packed)
const names = ['core', 'certificate', 'jose', 'msal', 'azure', 'redis', 'entra-emulator']
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
    jose: ['joseEngine'],
    msal: ['msalEngine'],
    azure: ['OnBehalfOfCredential', 'AuthenticationError', 'CredentialUnavailableError', 'AzureAuthorityHosts'],
    redis: ['createRedisTokenCache'],
    'entra-emulator': ['startEmulator'],
  }
  const dependencies = {
    core: [],
    certificate: ['core'],
    jose: ['core', 'certificate'],
    msal: ['core', 'certificate'],
    azure: ['core', 'certificate', 'jose'],
    redis: ['core'],
    'entra-emulator': [],
  }

  // Each package alone (with only the workspace packages it depends on).
  for (const name of names) {
    const extra = name === 'azure' ? ['@azure/core-auth@1.10.1'] : []
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
    if (name === 'azure') {
      check(
        '@onbehalf/azure does not install @azure/msal-node',
        !existsSync(join(dir, 'node_modules', '@azure', 'msal-node')),
      )
    }
  }

  // Everything together, from the tarballs: a real exchange against the emulator with each engine.
  const dir = project('together', names, ['@azure/core-auth@1.10.1'])
  copyFileSync(join(root, 'scripts', 'fixtures', 'obo-exchange.mjs'), join(dir, 'exchange.mjs'))
  const exchanged = run(process.execPath, ['exchange.mjs', 'jose', 'msal'], dir).trim()
  check(
    'the tarballs together complete OBO against the emulator with the jose and msal engines',
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
