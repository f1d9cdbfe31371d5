/**
 * `pnpm bench:compare`: runs the comparison and writes `benchmarks/results/latest.json`, `docs/benchmarks.md`
 * and `docs/benchmarks/*.svg`, then prints the bars with PASS/FAIL and the root-README snippet.
 *
 * Flags: `--quick` (a tiny run, written to a temporary folder unless `--write`), `--sizes=1,100,4000`
 * (scenario 1 sizes), `--no-write`, `--strict` (exit 1 when a bar fails).
 *
 * @module
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runComparison } from './harness.ts'
import { consoleSummary, readmeSnippet, writeOutputs } from './outputs.ts'
import { fullSettings, quickSettings, type ComparisonSettings } from './settings.ts'

const args = new Set(process.argv.slice(2))
const sizesArg = process.argv.slice(2).find((a) => a.startsWith('--sizes='))
const quick = args.has('--quick')
let settings: ComparisonSettings = quick ? quickSettings : fullSettings
if (sizesArg !== undefined) {
  const sizes = sizesArg
    .slice('--sizes='.length)
    .split(',')
    .map((s) => Number(s.replace(/_/g, '')))
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new TypeError('--sizes takes positive integers, e.g. --sizes=1,100,4000')
  }
  settings = { ...settings, sizes: [...sizes].sort((a, b) => a - b) }
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const packageDir = fileURLToPath(new URL('../', import.meta.url))

process.stdout.write(
  `onbehalf benchmark: ${quick ? 'quick' : 'full'} run, scenario 1 sizes ${settings.sizes.join(', ')}\n`,
)
const results = await runComparison(settings, {
  onProgress: (line) => process.stdout.write(`${line}\n`),
})
process.stdout.write(`\n${consoleSummary(results, settings)}\n`)

if (!args.has('--no-write')) {
  const target =
    quick && !args.has('--write')
      ? await (async () => {
          const dir = await mkdtemp(join(tmpdir(), 'onbehalf-bench-out-'))
          return {
            json: join(dir, 'latest.json'),
            markdown: join(dir, 'benchmarks.md'),
            chartsDir: join(dir, 'benchmarks'),
          }
        })()
      : {
          json: join(packageDir, 'results', 'latest.json'),
          markdown: join(repoRoot, 'docs', 'benchmarks.md'),
          chartsDir: join(repoRoot, 'docs', 'benchmarks'),
        }
  const written = await writeOutputs(results, settings, target)
  process.stdout.write(
    `\nWrote ${[written.json, written.markdown, written.latencyChart, written.requestsChart, written.protectedApiChart].filter((f) => f !== undefined).join('\n      ')}\n`,
  )
  process.stdout.write(`\nSnippet for the root README:\n\n${readmeSnippet(results, settings)}\n`)
}
if (args.has('--strict') && results.bars.some((bar) => !bar.pass)) process.exitCode = 1
