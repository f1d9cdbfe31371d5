#!/usr/bin/env node
// The test command (`pnpm test`): makes sure the real servers the suites need are there (redis-server, and
// Chromium for the demo's browser test), starts Redis on a free loopback port, runs every Vitest project once,
// and prints one closing line `N passed, N failed` from Vitest's JSON report.
//
//   node scripts/test.mjs [--label node20] [--json out.json] [vitest filters...]
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const take = (flag) => {
  const i = args.indexOf(flag)
  if (i === -1) return undefined
  const [, value] = args.splice(i, 2)
  return value
}
const label = take('--label') ?? `node${process.versions.node.split('.')[0]}`
const jsonPath = resolve(take('--json') ?? join(root, '.ci', 'out', `vitest-${label}.json`))
mkdirSync(dirname(jsonPath), { recursive: true })

const has = (file) => existsSync(file)
const which = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim()

function aptInstall(packages) {
  if (process.getuid?.() !== 0 || !which('apt-get')) return false
  console.log(`test: installing ${packages.join(' ')} with apt-get`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env })
  return true
}

// Real Redis for @onbehalf/redis; real Chromium for the demo page test.
let redisServer = process.env.REDIS_SERVER_BIN || which('redis-server')
if (!redisServer && aptInstall(['redis-server'])) redisServer = which('redis-server')
if (!redisServer) {
  console.error(
    'test: redis-server is not installed; the Redis suites will fail. Install it (apt-get install redis-server).',
  )
}
if (!process.env.CHROMIUM_PATH && !has('/usr/bin/chromium')) aptInstall(['chromium'])
if (!process.env.CHROMIUM_PATH && has('/usr/bin/chromium')) process.env.CHROMIUM_PATH = '/usr/bin/chromium'

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

let redis
if (redisServer && !process.env.REDIS_URL) {
  const port = await freePort()
  const dir = join(tmpdir(), `onbehalf-redis-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  redis = spawn(
    redisServer,
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  )
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`
  process.env.REDIS_SERVER_BIN = redisServer
  for (let i = 0; i < 50; i++) {
    const ping = spawnSync(join(dirname(redisServer), 'redis-cli'), ['-p', String(port), 'ping'], { encoding: 'utf8' })
    if (ping.stdout?.trim() === 'PONG') break
    await new Promise((r) => setTimeout(r, 100))
  }
  // The child would keep this process alive: stop it on the way out.
  redis.unref()
  process.on('exit', () => {
    redis.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })
}

// Tests that start child processes (benchmarks, the CLI) run the packages as published: build them first, in
// dependency order, with the workspace's tsc.
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
for (const name of ['core', 'certificate', 'entra-emulator', 'jose', 'msal', 'azure', 'redis']) {
  const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'packages', name, 'tsconfig.build.json')], {
    stdio: 'inherit',
  })
  if (built.status !== 0) {
    console.log(`${label}: 0 passed, 1 failed (build of packages/${name} failed)`)
    process.exit(1)
  }
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
// Errors outside any test, which Vitest's JSON report leaves out: beside it, `<report>.unhandled.json`.
const unhandledPath = jsonPath.replace(/(\.json)?$/, '.unhandled.json')
rmSync(jsonPath, { force: true })
rmSync(unhandledPath, { force: true })
const run = spawnSync(
  process.execPath,
  [
    vitest,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--reporter=${join(root, 'scripts', 'vitest-unhandled-reporter.mjs')}`,
    `--outputFile.json=${jsonPath}`,
    ...args,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ONBEHALF_UNHANDLED_JSON: unhandledPath } },
)

let passed = 0
let failed = 0
let skipped = 0
if (existsSync(jsonPath)) {
  const report = JSON.parse(readFileSync(jsonPath, 'utf8'))
  passed = report.numPassedTests
  failed = report.numFailedTests
  skipped = report.numPendingTests + report.numTodoTests
  // A file that failed without a failing test (it did not load, or a hook threw and its tests were reported as
  // skipped) counts as one failure, never as nothing.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed')) failed++
  }
} else {
  failed = 1
}
// Vitest also exits non-zero on errors outside any test (an unhandled rejection, an error thrown after a test
// ended): every test passed, yet the run is not clean. Say so, and count it, rather than end on "0 failed".
const unhandled = existsSync(unhandledPath) ? JSON.parse(readFileSync(unhandledPath, 'utf8')) : []
for (const error of unhandled) {
  const where = [error.testPath?.replace(`${root}/`, ''), error.testName].filter(Boolean).join(' > ')
  console.log(`${label}: unhandled error${where ? ` (${where})` : ''}: ${error.name}: ${error.message}`)
}
if (run.status !== 0 && failed === 0) {
  console.log(
    `${label}: vitest exited with ${run.status ?? run.signal} although no test failed${unhandled.length > 0 ? '' : ': see "Unhandled Errors" above'}`,
  )
  failed = 1
}
console.log(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1)
