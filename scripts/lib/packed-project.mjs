// Packing workspace packages as they would be published, and installing the tarballs into an empty project:
// shared by check-tarballs.mjs and check-runtimes.mjs.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The pnpm that runs this script (`pnpm check:…`), else the one on PATH. */
const pnpm =
  process.env.npm_execpath && process.env.npm_execpath.includes('pnpm')
    ? [process.execPath, process.env.npm_execpath]
    : ['pnpm']

/** Runs a command, returning its stdout; throws (with `stderr`) when it fails. */
export function run(command, args, cwd, options = {}) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
}

/**
 * Packs `packages/<name>` for each name with `pnpm pack` (which turns `workspace:^` into real ranges) into
 * `destination`; returns `{ [name]: tarballPath }`.
 */
export function packPackages(root, names, destination) {
  const tarball = {}
  for (const name of names) {
    const out = run(
      pnpm[0],
      [...pnpm.slice(1), 'pack', '--pack-destination', destination],
      join(root, 'packages', name),
    )
    const file = readdirSync(destination).find(
      (f) => f.startsWith(`onbehalf-${name}-`) && !Object.values(tarball).includes(join(destination, f)),
    )
    if (!file) throw new Error(`no tarball for ${name}: ${out}`)
    tarball[name] = join(destination, file)
  }
  return tarball
}

/** An empty ESM project at `dir` with the given tarballs (and registry packages, `extra`) installed by npm. */
export function installProject(dir, tarballs, extra = []) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'check-project', private: true, type: 'module' }))
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...extra], dir)
  return dir
}
