/**
 * `pnpm bench:fleet`: four middle-tier processes sharing one real Redis, against the Entra emulator over HTTPS.
 * Measures the fleet bars of SPEC §7: token requests for one cold burst of users through every process at once
 * (cross-instance lock on, then off), the latency of an L2 hit on an instance whose L1 is empty, the time from
 * `evictUser` on one instance to a miss on every instance, and the time for a claims replacement on one
 * instance to reach every L1. Prints the bars with PASS/FAIL, writes `benchmarks/results/fleet.json` and the
 * fleet section of `docs/benchmarks.md`.
 *
 * Flags: `--users=1000`, `--trials=20`, `--no-write`, `--strict` (exit 1 when a bar fails).
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fleetSection, spliceFleetSection } from './fleet/markdown.ts'
import { runFleet } from './fleet/run-fleet.ts'
import { formatWithPrettier } from './outputs.ts'

const argv = process.argv.slice(2)
const numberFlag = (name: string, fallback: number): number => {
  const raw = argv.find((arg) => arg.startsWith(`--${name}=`))
  if (raw === undefined) return fallback
  const value = Number(raw.slice(name.length + 3).replace(/_/g, ''))
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`--${name} takes a positive integer`)
  return value
}
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const packageDir = fileURLToPath(new URL('../', import.meta.url))
const log = (line: string): void => void process.stdout.write(`${line}\n`)

const results = await runFleet({ users: numberFlag('users', 1_000), trials: numberFlag('trials', 20), onProgress: log })
log('')
for (const bar of results.bars) log(`${bar.pass ? 'PASS' : 'FAIL'}  ${bar.name}: ${bar.value} (bar: ${bar.threshold})`)

if (!argv.includes('--no-write')) {
  const json = join(packageDir, 'results', 'fleet.json')
  const markdown = join(repoRoot, 'docs', 'benchmarks.md')
  await writeFile(json, await formatWithPrettier(JSON.stringify(results, null, 2), json, 'json'))
  const page = await readFile(markdown, 'utf8')
  await writeFile(
    markdown,
    await formatWithPrettier(spliceFleetSection(page, fleetSection(results)), markdown, 'markdown'),
  )
  log(`\nWrote ${json}\n      ${markdown} (fleet section)`)
}
if (argv.includes('--strict') && results.bars.some((bar) => !bar.pass)) process.exitCode = 1
