/**
 * The machine and the versions a run used, for the report.
 *
 * @module
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MachineInfo } from './results.ts'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

/**
 * CPU model, cores, memory, OS, Node and the load when the run started.
 *
 * @example
 * ```ts
 * machineInfo().cores // 2
 * ```
 */
export function machineInfo(): MachineInfo {
  const cpu = cpus()
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  }
}

/**
 * Finds `name`'s installed directory the way Node resolves it from `fromDir` (walking up `node_modules`).
 *
 * @example
 * ```ts
 * installedPackageDir('@azure/msal-node', process.cwd())
 * ```
 */
export function installedPackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function versionAt(dir: string | undefined): string {
  if (dir === undefined) return 'not installed'
  return String((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version)
}

/**
 * Versions of every contender's library (including the msal-node that `@azure/identity` brings) and of Node.
 *
 * @example
 * ```ts
 * versionInfo()['@azure/msal-node'] // '7.2.3'
 * ```
 */
export function versionInfo(): Record<string, string> {
  const identityDir = installedPackageDir('@azure/identity', packageDir)
  return {
    node: process.version,
    '@onbehalf/azure': versionAt(installedPackageDir('@onbehalf/azure', packageDir)),
    '@onbehalf/core': versionAt(installedPackageDir('@onbehalf/core', packageDir)),
    '@onbehalf/jose': versionAt(installedPackageDir('@onbehalf/jose', packageDir)),
    '@onbehalf/msal': versionAt(installedPackageDir('@onbehalf/msal', packageDir)),
    '@onbehalf/entra-emulator': versionAt(installedPackageDir('@onbehalf/entra-emulator', packageDir)),
    '@azure/msal-node': versionAt(installedPackageDir('@azure/msal-node', packageDir)),
    '@azure/identity': versionAt(identityDir),
    '@azure/msal-node (used by @azure/identity)': versionAt(
      identityDir === undefined ? undefined : installedPackageDir('@azure/msal-node', identityDir),
    ),
  }
}
