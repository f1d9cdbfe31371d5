import { describe, expect, it } from 'vitest'
import { computeBars, protectedApiBudgetUs } from '../src/bars.ts'
import { latencyChartSpec, protectedApiChartSpec, requestsChartSpec } from '../src/report/charts.ts'
import { renderMarkdown } from '../src/report/markdown.ts'
import { markdownTable } from '../src/report/table.ts'
import { renderSvg } from '../src/report/vega.ts'
import type { ComparisonResults, ProtectedApiResult, RequestCounts } from '../src/results.ts'
import { quickSettings, type ComparisonSettings } from '../src/settings.ts'
import type { Summary } from '../src/stats.ts'

// A small, fixed results object: the report must show exactly these figures (no run, no timing).
const settings: ComparisonSettings = {
  ...quickSettings,
  sizes: [1, 100_000],
  barUsers: 1,
  memorySizes: [1_000],
  contenders: ['ours-jose', 'msal-node', 'azure-identity'],
}

function summary(median: number, p99: number): Summary {
  return { count: 1_000, median, p99, mean: median, min: median, max: p99 }
}

function counts(token: number, other: Record<string, number> = {}): RequestCounts {
  const byEndpoint = token === 0 ? { ...other } : { token, ...other }
  return { total: Object.values(byEndpoint).reduce((a, b) => a + b, 0), token, byEndpoint }
}

function tier(pattern: string, requestUs: Summary, requests: RequestCounts): ProtectedApiResult {
  return {
    pattern,
    users: 5,
    requestUs,
    validateUs: summary(requestUs.median / 3, requestUs.p99 / 3),
    tokenUs: summary((requestUs.median * 2) / 3, (requestUs.p99 * 2) / 3),
    requestsDuringMeasure: requests,
    wrongUsers: 0,
  }
}

const hit = (users: number, median: number, p99: number, floor?: number) => ({
  users,
  realUsers: Math.min(users, 5),
  prefilledUsers: Math.max(0, users - 5),
  fillMs: 10,
  hitUs: summary(median, p99),
  ...(floor === undefined ? {} : { floorUs: summary(floor, floor * 2) }),
  tokenRequestsDuringHits: 0,
  wrongTokens: 0,
})

const partial: Omit<ComparisonResults, 'bars'> = {
  schemaVersion: 1,
  date: '2026-12-01T12:00:00.000Z',
  durationMs: 300_000,
  machine: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, os: 'Linux', node: 'v20.20.2', loadAverageAtStart: 0.5 },
  versions: { node: 'v20.20.2' },
  settings: { ...settings },
  cacheHits: {
    'ours-jose': { points: [hit(1, 2.5, 9, 1.5), hit(100_000, 2.75, 11, 1.5)] },
    'ours-msal': { notApplicable: 'not in this run' },
    'msal-node': { points: [hit(1, 250, 900), { users: 100_000, skipped: 'over the cap' }] },
    'azure-identity': { notApplicable: 'no shared cache' },
  },
  perRequest: {
    'ours-jose': {
      calls: 100,
      requests: counts(1),
      latencyMs: summary(0.003, 0.01),
      pattern: 'new credential per call',
    },
    'ours-msal': { notApplicable: 'not in this run' },
    'msal-node': { calls: 100, requests: counts(1), latencyMs: summary(0.2, 0.5), pattern: 'one shared app' },
    'azure-identity': {
      calls: 100,
      requests: counts(100, { 'openid-configuration': 100 }),
      latencyMs: summary(3, 9),
      pattern: 'new credential per call',
    },
  },
  herd: {
    'ours-jose': { concurrency: 50, requests: counts(1), totalMs: 40, failed: 0, errors: [], distinctTokens: 1 },
    'ours-msal': { notApplicable: 'not in this run' },
    'msal-node': { concurrency: 50, requests: counts(50), totalMs: 400, failed: 0, errors: [], distinctTokens: 50 },
    'azure-identity': {
      concurrency: 50,
      requests: counts(47),
      totalMs: 900,
      failed: 0,
      errors: [],
      distinctTokens: 47,
    },
  },
  cold: {
    'ours-jose': { runs: 1, firstCallMs: [30], medianMs: 30, requests: counts(1) },
    'ours-msal': { notApplicable: 'not in this run' },
    'msal-node': { runs: 1, firstCallMs: [60], medianMs: 60, requests: counts(1) },
    'azure-identity': { runs: 1, firstCallMs: [80], medianMs: 80, requests: counts(1) },
  },
  memory: {
    'ours-jose': {
      baselineHeapBytes: 1e6,
      points: [{ users: 1_000, heapUsedBytes: 4e6, bytesPerUser: 3_000, tokenBytesPerUser: 2_700 }],
    },
    'ours-msal': { notApplicable: 'not in this run' },
    'msal-node': { baselineHeapBytes: 1e6, points: [{ users: 1_000, skipped: 'too large' }] },
    'azure-identity': { notApplicable: 'no shared cache' },
  },
  protectedApi: {
    'ours-jose': tier('createProtectedApi once', summary(12.5, 40), counts(0)),
    'msal-node': { notApplicable: 'hand-written tier uses @azure/identity' },
    'azure-identity': tier('jwtVerify + OnBehalfOfCredential per request', summary(2_500, 9_000), counts(800)),
  },
}
const results: ComparisonResults = { ...partial, bars: computeBars(partial, settings) }
const links = { latency: 'b/latency.svg', requests: 'b/requests.svg', protectedApi: 'b/protected-api.svg' }

/** The lines of text an SVG shows (each `<text>`, or each `<tspan>` line of a multi-line one), unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)]
    .flatMap((m) => {
      const inner = m[1] ?? ''
      return inner.includes('<tspan')
        ? [...inner.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1] ?? '')
        : [inner]
    })
    .map((t) =>
      t
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"'),
    )
}

describe('markdownTable', () => {
  it('writes the header, the alignment row and escaped cells', () => {
    expect(
      markdownTable(
        [{ header: 'a' }, { header: 'b', align: 'right' }],
        [
          ['x|y', '1'],
          ['z', '2'],
        ],
      ),
    ).toBe('| a | b |\n| --- | ---: |\n| x\\|y | 1 |\n| z | 2 |')
  })
})

describe('bars from a fixed results object', () => {
  it('decides the protected-API bar and its sanity bar from the scenario figures', () => {
    const bar = results.bars.find((b) => b.name.startsWith('ours-jose protected API: validate'))
    expect(bar).toMatchObject({ value: '12.50 µs; hand-written jose + @azure/identity: 2500.0 µs', pass: true })
    expect(bar?.threshold).toBe(`≤ ${protectedApiBudgetUs} µs`)
    expect(results.bars.find((b) => b.name === 'ours-jose protected API: hits are hits (sanity)')?.pass).toBe(true)
    const slow = computeBars(
      {
        ...partial,
        protectedApi: { 'ours-jose': tier('slow', summary(protectedApiBudgetUs + 0.01, 50), counts(0)) },
      },
      settings,
    )
    expect(slow.find((b) => b.name.startsWith('ours-jose protected API: validate'))?.pass).toBe(false)
    const missed = computeBars(
      { ...partial, protectedApi: { 'ours-jose': tier('misses', summary(5, 9), counts(3)) } },
      settings,
    )
    expect(missed.find((b) => b.name === 'ours-jose protected API: hits are hits (sanity)')).toMatchObject({
      value: '3 token request(s), 0 token(s) for another user while measuring',
      pass: false,
    })
  })

  it('compares the hit with the floor measured beside it', () => {
    const floor = results.bars.find((b) => b.name.startsWith('ours-jose cache hit vs the floor'))
    expect(floor).toMatchObject({ value: '1.83× (2.75 µs vs 1.50 µs)', pass: true })
  })
})

describe('the Markdown page', () => {
  const page = renderMarkdown(results, settings, links)

  it('links every chart and lists every bar with its verdict', () => {
    expect(page).toContain('](b/latency.svg)')
    expect(page).toContain('](b/requests.svg)')
    expect(page).toContain('](b/protected-api.svg)')
    for (const bar of results.bars) {
      expect(page).toContain(
        `| ${bar.name} | ${bar.value} | ${bar.threshold} | ${bar.pass ? '**PASS**' : '**FAIL**'} |`,
      )
    }
  })

  it('has one cache-hit row per size, with the floor and the ratio to msal-node', () => {
    expect(page).toContain('| 1 | 2.50 µs / 9.00 µs | 250.0 µs / 900.0 µs | 1.50 µs / 3.00 µs | 100× |')
    expect(page).toContain('| 100,000 | 2.75 µs / 11.0 µs | skipped¹ | 1.50 µs / 3.00 µs | – |')
    expect(page).toContain('¹ msal-node CCA (shared) at 100,000 users: over the cap.')
  })

  it('has the per-contender scenario tables, with reasons for contenders that took no part', () => {
    expect(page).toContain(
      '| @azure/identity OBO credential | new credential per call | 100 per 100 calls | 200 (token 100, openid-configuration 100) | 3.00 ms / 9.00 ms |',
    )
    expect(page).toContain('| msal-node CCA (shared) | 50 | 50 | 50 (token 50) | 400.0 ms | 0 | 50 |')
    expect(page).toContain('| onbehalf (jose engine) | 30.0 ms | 30.0 ms | 1 | 1 (token 1) |')
    expect(page).toContain('| onbehalf (jose engine) | 1,000 | 2.9 KB | 2.6 KB | 300 B |')
  })

  it('has the protected-API section: both tiers, their split and what the emulator received', () => {
    expect(page).toContain('## 6. Protected API')
    expect(page).toContain(
      '| @onbehalf/server (jose engine) | createProtectedApi once | 12.5 µs / 40.0 µs | 4.17 µs / 13.3 µs | 8.33 µs / 26.7 µs | 0 (none) | 1,000 | 0 |',
    )
    expect(page).toContain(
      '| hand-written: jose + @azure/identity | jwtVerify + OnBehalfOfCredential per request | 2.50 ms / 9.00 ms |',
    )
    expect(page).toContain('| msal-node | hand-written tier uses @azure/identity | – |')
    expect(page).toContain('**12.5 µs per request to validate')
  })
})

describe('the charts (Vega-Lite rendered to SVG)', () => {
  it('plots median and p99 per contender and the floor, on log axes, with the ratio at the bar size', async () => {
    const spec = latencyChartSpec(results, settings.barUsers, settings.hitCapMs)
    const svg = await renderSvg(spec)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).not.toContain('NaN')
    const labels = texts(svg)
    expect(labels).toEqual(
      expect.arrayContaining([
        'onbehalf (jose engine)',
        'msal-node CCA (shared)',
        'floor: SHA-256 of the assertion + map lookup',
        '100× faster',
        'at 1 users',
        '100k',
        'distinct users in the cache',
      ]),
    )
    expect(labels.some((t) => t.includes('not run at 100k users'))).toBe(true)
    // The plotted values are the results' own.
    const rows = (spec.data as { values: { series: string; users: number; us: number; statistic: string }[] }).values
    expect(rows).toContainEqual({ series: 'onbehalf (jose engine)', users: 100_000, us: 11, statistic: 'p99' })
    expect(rows.filter((r) => r.series === 'msal-node CCA (shared)').map((r) => r.users)).toEqual([1, 1])
  })

  it('draws one bar per contender and scenario with its token requests', async () => {
    const spec = requestsChartSpec(results)
    const rows = (spec.data as { values: { scenario: string; contender: string; requests: number }[] }).values
    expect(rows).toHaveLength(9)
    expect(rows).toContainEqual({
      scenario: 'Herd (50 concurrent cold calls)',
      contender: '@azure/identity OBO credential',
      requests: 47,
    })
    const labels = texts(await renderSvg(spec))
    expect(labels).toEqual(expect.arrayContaining(['47', '100', 'Returning user (100 calls)']))
  })

  it('shows both middle tiers against the 20 µs target', async () => {
    const labels = texts(await renderSvg(protectedApiChartSpec(results, protectedApiBudgetUs)))
    expect(labels).toEqual(
      expect.arrayContaining([
        '@onbehalf/server (jose engine)',
        'hand-written: jose + @azure/identity',
        '12.5 µs',
        '2.50 ms',
        'target: ≤ 20 µs',
      ]),
    )
  })

  it('renders the same SVG for the same results', async () => {
    const spec = requestsChartSpec(results)
    expect(await renderSvg(spec)).toBe(await renderSvg(spec))
  })
})
