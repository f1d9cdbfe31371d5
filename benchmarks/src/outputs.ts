/**
 * Writes a run's results: JSON, the Markdown page and its SVG charts; and renders the console summary and the
 * root-README snippet.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fleetSection, spliceFleetSection } from './fleet/markdown.ts'
import type { FleetResults } from './fleet/results.ts'
import { headline, headlineBullets, renderMarkdown } from './report/markdown.ts'
import { protectedApiBudgetUs } from './bars.ts'
import { latencyChartSpec, protectedApiChartSpec, requestsChartSpec } from './report/charts.ts'
import { renderSvg } from './report/vega.ts'
import type { ComparisonResults } from './results.ts'
import type { ComparisonSettings } from './settings.ts'

/** Where to write. */
export interface OutputPaths {
  readonly json: string
  readonly markdown: string
  /** Folder of the SVG charts. */
  readonly chartsDir: string
}

/** The files written. */
export interface WrittenOutputs {
  readonly json: string
  readonly markdown: string
  readonly latencyChart: string
  readonly requestsChart: string
  /** Absent when the results have no protected-API scenario. */
  readonly protectedApiChart?: string
}

/**
 * Writes the JSON results, the charts and the Markdown page (which links the charts relatively).
 *
 * @example
 * ```ts
 * await writeOutputs(results, fullSettings, { json: 'results/latest.json', markdown: '../docs/benchmarks.md', chartsDir: '../docs/benchmarks' })
 * ```
 */
export async function writeOutputs(
  results: ComparisonResults,
  settings: ComparisonSettings,
  paths: OutputPaths,
): Promise<WrittenOutputs> {
  const latencyFile = join(paths.chartsDir, 'cache-hit-latency.svg')
  const requestsFile = join(paths.chartsDir, 'token-requests.svg')
  const protectedApiFile = join(paths.chartsDir, 'protected-api.svg')
  const withProtectedApi = results.protectedApi !== undefined
  await Promise.all([
    mkdir(dirname(paths.json), { recursive: true }),
    mkdir(dirname(paths.markdown), { recursive: true }),
    mkdir(paths.chartsDir, { recursive: true }),
  ])
  const link = (file: string): string => relative(dirname(paths.markdown), file).split('\\').join('/')
  // The fleet section comes from its own benchmark (`bench:fleet`, results beside this run's): kept, not lost.
  const fleet = await readFleetResults(join(dirname(paths.json), 'fleet.json'))
  const page = renderMarkdown(results, settings, {
    latency: link(latencyFile),
    requests: link(requestsFile),
    protectedApi: link(protectedApiFile),
  })
  await Promise.all([
    writeFile(paths.json, await formatWithPrettier(JSON.stringify(results, null, 2), paths.json, 'json')),
    writeFile(latencyFile, await renderSvg(latencyChartSpec(results, settings.barUsers, settings.hitCapMs))),
    writeFile(requestsFile, await renderSvg(requestsChartSpec(results))),
    withProtectedApi
      ? writeFile(protectedApiFile, await renderSvg(protectedApiChartSpec(results, protectedApiBudgetUs)))
      : undefined,
    writeFile(
      paths.markdown,
      await formatWithPrettier(
        fleet === undefined ? page : spliceFleetSection(page, fleetSection(fleet)),
        paths.markdown,
        'markdown',
      ),
    ),
  ])
  return {
    json: paths.json,
    markdown: paths.markdown,
    latencyChart: latencyFile,
    requestsChart: requestsFile,
    ...(withProtectedApi ? { protectedApiChart: protectedApiFile } : {}),
  }
}

async function readFleetResults(file: string): Promise<FleetResults | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as FleetResults
  } catch {
    return undefined
  }
}

/**
 * Formats generated text with the repository's Prettier settings (so `prettier --check` accepts the generated
 * page and results); returns it unchanged (with a final newline) when Prettier is not installed.
 *
 * @example
 * ```ts
 * const text = await formatWithPrettier('| a |\n|---|\n| b |', 'docs/benchmarks.md', 'markdown')
 * ```
 */
export async function formatWithPrettier(text: string, filePath: string, parser: 'markdown' | 'json'): Promise<string> {
  try {
    const prettier = await import('prettier')
    const config = (await prettier.resolveConfig(filePath)) ?? {}
    return await prettier.format(text, { ...config, parser })
  } catch {
    return text.endsWith('\n') ? text : `${text}\n`
  }
}

/**
 * The block for the repository's root README: the main chart and the headline figures, with links that work
 * from the repository root.
 *
 * @example
 * ```ts
 * console.log(readmeSnippet(results, fullSettings))
 * ```
 */
export function readmeSnippet(results: ComparisonResults, settings: ComparisonSettings): string {
  return [
    '## Benchmarks',
    '',
    `Same run, same machine (${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}), against the local Entra emulator over HTTPS ([details and method](docs/benchmarks.md), \`pnpm bench:compare\`):`,
    '',
    ...headlineBullets(headline(results, settings.barUsers)),
    '',
    '![Cache-hit latency vs users in the cache: onbehalf vs msal-node](docs/benchmarks/cache-hit-latency.svg)',
    '',
  ].join('\n')
}

/**
 * A short console summary: the headline and every bar with PASS/FAIL.
 *
 * @example
 * ```ts
 * console.log(consoleSummary(results, fullSettings))
 * ```
 */
export function consoleSummary(results: ComparisonResults, settings: ComparisonSettings): string {
  const lines = [
    `Run finished in ${(results.durationMs / 1000).toFixed(0)} s.`,
    '',
    ...headlineBullets(headline(results, settings.barUsers)),
    '',
  ]
  for (const bar of results.bars) {
    lines.push(`${bar.pass ? 'PASS' : 'FAIL'}  ${bar.name}: ${bar.value} (bar: ${bar.threshold})`)
  }
  return lines.join('\n')
}
