#!/usr/bin/env node
// Release rehearsal: the path a user takes, through a real registry. Starts Verdaccio on loopback with a
// throw-away storage and no uplinks, publishes every public package to it the way `changeset publish` would
// (pnpm pack turns workspace:^ into real ranges) but with provenance off (provenance needs a CI's OIDC
// identity; the release workflow keeps it on), then installs `@onbehalf/azure` and `@onbehalf/entra-emulator`
// from that registry into a fresh app and completes an On-Behalf-Of exchange against the emulator.
//
//   node scripts/release-rehearsal.mjs      (after `pnpm build`; Verdaccio 6 needs Node 22+)
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packPackages, run } from './lib/packed-project.mjs'

const verdaccioVersion = '6.10.4'
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(`release-rehearsal: Verdaccio ${verdaccioVersion} needs Node 22 or later (this is ${process.version}).`)
  process.exit(1)
}

const work = mkdtempSync(join(tmpdir(), 'onbehalf-release-rehearsal-'))
let registry

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

async function startRegistry() {
  const home = join(work, 'verdaccio')
  mkdirSync(home)
  writeFileSync(join(home, 'package.json'), '{"private":true}')
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `verdaccio@${verdaccioVersion}`], home)
  writeFileSync(
    join(home, 'config.yaml'),
    [
      `storage: ${JSON.stringify(join(home, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(home, 'htpasswd'))}`,
      '    max_users: 1',
      // A throw-away user: a fast hash instead of bcrypt's deliberate slowness on every request.
      '    algorithm: sha1',
      // No uplinks: nothing is fetched from or published to any other registry.
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: warn }',
    ].join('\n'),
  )
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [join(home, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', join(home, 'config.yaml')].concat([
      '--listen',
      `127.0.0.1:${port}`,
    ]),
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  process.on('exit', () => child.kill('SIGTERM'))
  const url = `http://127.0.0.1:${port}/`
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`Verdaccio exited with code ${child.exitCode}`)
    try {
      if ((await fetch(`${url}-/ping`)).ok) break
    } catch {
      // Not listening yet.
    }
    if (attempt === 600) throw new Error('Verdaccio did not answer /-/ping within 60 s')
    await new Promise((wake) => setTimeout(wake, 100))
  }
  // One throw-away user, so that publishing is authenticated as it is on npmjs.
  const answer = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password' }),
  })
  const { token } = await answer.json()
  if (!answer.ok || typeof token !== 'string') throw new Error(`cannot create the registry user (${answer.status})`)
  return { url, token }
}

/** Every package under packages/ that is published (not `private`), by folder name. */
function publicPackages() {
  return readdirSync(join(root, 'packages')).filter(
    (name) => !JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')).private,
  )
}

/** Publishes one packed tarball to the rehearsal registry, as `changeset publish` would but without provenance. */
function publish(tarball, npmrc) {
  const unpacked = join(work, 'unpacked', basename(tarball, '.tgz'))
  mkdirSync(unpacked, { recursive: true })
  run('tar', ['-xzf', tarball, '-C', unpacked], work)
  // The one difference from a release: provenance off (publishConfig wins over command-line flags).
  const manifestPath = join(unpacked, 'package', 'package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  if (JSON.stringify(manifest).includes('workspace:')) {
    throw new Error(`${manifest.name}: workspace: range in the tarball`)
  }
  delete manifest.publishConfig?.provenance
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2))
  run(
    'npm',
    ['publish', join(unpacked, 'package'), '--userconfig', npmrc, '--registry', registry, '--provenance=false'],
    work,
  )
  return `${manifest.name}@${manifest.version}`
}

let failed = false
try {
  const started = await startRegistry()
  registry = started.url
  const host = registry.replace(/^http:/, '')
  const npmrc = join(work, 'publish.npmrc')
  writeFileSync(npmrc, `${host}:_authToken=${started.token}\n`)
  const packed = join(work, 'packed')
  mkdirSync(packed)
  const tarballs = Object.values(packPackages(root, publicPackages(), packed))
  const published = tarballs.map((tarball) => publish(tarball, npmrc))
  console.log(`release-rehearsal: published ${published.join(', ')} to ${registry}`)

  // A fresh app: @onbehalf/* from the rehearsal registry, everything else from the default registry.
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rehearsal-app', private: true, type: 'module' }))
  writeFileSync(join(app, '.npmrc'), `@onbehalf:registry=${registry}\n`)
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '@onbehalf/azure', '@onbehalf/entra-emulator'],
    app,
  )
  // What npm installed is byte for byte what the rehearsal registry serves (npm's lockfile records the integrity).
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'))
  const ours = Object.entries(lock.packages).filter(([path]) => path.includes('node_modules/@onbehalf/'))
  for (const [path, entry] of ours) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const served = run('npm', ['view', `${name}@${entry.version}`, 'dist.integrity', '--registry', registry], app)
    if (served.trim() !== entry.integrity) {
      throw new Error(`${name}@${entry.version} was not installed from the rehearsal registry`)
    }
  }
  if (!['azure', 'entra-emulator'].every((name) => ours.some(([path]) => path.endsWith(`/@onbehalf/${name}`)))) {
    throw new Error('@onbehalf/azure or @onbehalf/entra-emulator is missing from the app')
  }
  console.log(
    `release-rehearsal: installed ${ours.map(([path, entry]) => `${path.split('node_modules/').pop()}@${entry.version}`).join(', ')}`,
  )

  copyFileSync(join(root, 'scripts', 'fixtures', 'obo-exchange.mjs'), join(app, 'exchange.mjs'))
  const output = run(process.execPath, ['exchange.mjs', 'jose'], app).trim()
  if (!output.endsWith('exchanged')) throw new Error(`the OBO exchange did not complete: ${output}`)
  console.log('release-rehearsal: the installed packages completed an On-Behalf-Of exchange against the emulator')
} catch (error) {
  failed = true
  console.error(`release-rehearsal: ${error instanceof Error ? error.message : String(error)}`)
  if (error instanceof Error && error.cause !== undefined) console.error(error.cause)
  if (error && typeof error === 'object' && 'stderr' in error) {
    console.error(`${String(error.stdout).slice(-2000)}\n${String(error.stderr).slice(-4000)}`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
