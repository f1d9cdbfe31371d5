/**
 * Re-renders `docs/benchmarks.md` and the charts from `benchmarks/results/latest.json` without running the
 * benchmark again (after a change to the report's layout).
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readmeSnippet, writeOutputs } from './outputs.ts'
import type { ComparisonResults } from './results.ts'
import type { ComparisonSettings } from './settings.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const packageDir = fileURLToPath(new URL('../', import.meta.url))
const json = join(packageDir, 'results', 'latest.json')
const results = JSON.parse(await readFile(json, 'utf8')) as ComparisonResults
const settings = results.settings as unknown as ComparisonSettings
const written = await writeOutputs(results, settings, {
  json,
  markdown: join(repoRoot, 'docs', 'benchmarks.md'),
  chartsDir: join(repoRoot, 'docs', 'benchmarks'),
})
process.stdout.write(
  `Rewrote ${[written.markdown, written.latencyChart, written.requestsChart, written.protectedApiChart].filter((f) => f !== undefined).join(', ')}\n\n${readmeSnippet(results, settings)}\n`,
)
