#!/usr/bin/env node
// Interop against the newest Microsoft clients: installs the latest `@azure/identity` and `@azure/msal-node`
// from the registry into a throw-away directory, then runs every interop suite (the emulator's, jose's wire
// test, the msal engine, azure's SDK test) with those two names resolved to the new copies instead of the
// versions the lockfile pins.
//
//   node scripts/interop-latest.mjs [suite paths]   (CI runs it on Node 24, with every interop suite)
//
// It cannot pass silently: the aliased modules are small wrappers that record each load, and the run fails
// unless both wrappers were loaded, at least one test passed and none failed. The JSON report is
// `.ci/out/vitest-interop-latest.json`, counted in CI's closing line.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const clients = ['@azure/identity', '@azure/msal-node']
const allSuites = [
  'packages/entra-emulator/test/azure-identity.test.ts',
  'packages/entra-emulator/test/msal-node.test.ts',
  'packages/entra-emulator/test/faults.test.ts',
  'packages/jose/test/msal-wire.test.ts',
  'packages/msal/',
  'packages/azure/test/azure-sdk.test.ts',
]
const suites = process.argv.length > 2 ? process.argv.slice(2) : allSuites

const dir = mkdtempSync(join(tmpdir(), 'onbehalf-interop-latest-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'interop-latest', private: true, type: 'module' }))
console.log(`interop-latest: installing ${clients.map((name) => `${name}@latest`).join(' ')}`)
execFileSync(
  'npm',
  ['install', '--no-audit', '--no-fund', '--loglevel=error', ...clients.map((name) => `${name}@latest`)],
  { cwd: dir, stdio: 'inherit' },
)

// Each client is aliased to a wrapper that re-exports the new copy's ESM entry and notes that it was loaded.
const loadLog = join(dir, 'loaded.log')
writeFileSync(loadLog, '')
const modules = {}
const versions = {}
for (const name of clients) {
  const entry = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `process.stdout.write(import.meta.resolve(${JSON.stringify(name)}))`],
    { cwd: dir, encoding: 'utf8' },
  )
  versions[name] = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version
  const wrapper = join(dir, `${name.replace('/', '__')}.mjs`)
  writeFileSync(
    wrapper,
    [
      `import { appendFileSync } from 'node:fs'`,
      `export * from ${JSON.stringify(entry)}`,
      `appendFileSync(${JSON.stringify(loadLog)}, ${JSON.stringify(`${name}@${versions[name]}\n`)})`,
    ].join('\n'),
  )
  modules[name] = wrapper
}
console.log(
  `interop-latest: testing against ${Object.entries(versions)
    .map(([n, v]) => `${n}@${v}`)
    .join(', ')}`,
)

const json = join(root, '.ci', 'out', 'vitest-interop-latest.json')
const run = spawnSync(
  process.execPath,
  [join(root, 'scripts', 'test.mjs'), '--label', 'interop-latest', '--json', json, ...suites],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ONBEHALF_INTEROP_MODULES: JSON.stringify(modules) } },
)

const problems = []
if (run.status !== 0) problems.push(`the interop suites failed (exit ${run.status})`)
const loaded = new Set(readFileSync(loadLog, 'utf8').split('\n').filter(Boolean))
for (const name of clients) {
  if (!loaded.has(`${name}@${versions[name]}`)) {
    problems.push(`${name}@${versions[name]} was never loaded: the suites ran against another copy`)
  }
}
if (existsSync(json)) {
  const report = JSON.parse(readFileSync(json, 'utf8'))
  if (report.numPassedTests === 0) problems.push('no test passed')
} else {
  problems.push('no test report')
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`interop-latest: ${problem}`)
  process.exit(1)
}
console.log(`interop-latest: ok (${[...loaded].join(', ')}; ${pathToFileURL(dir).href} removed)`)
