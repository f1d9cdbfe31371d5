/**
 * The page's charts as Vega-Lite specifications, built from one results object: cache-hit latency vs users
 * (log-log, with the floor), token requests per scenario (symlog bars) and the protected API's cost per request
 * (log bars, with its target). Rendered to SVG by `vega.ts`.
 *
 * @module
 */
import type { TopLevelSpec } from 'vega-lite'
import {
  contenderIds,
  contenderLabels,
  isNotApplicable,
  isSkipped,
  protectedTierLabels,
  type ComparisonResults,
  type ContenderId,
  type HitPoint,
} from '../results.ts'
import { formatCount, formatMicros, formatRatio } from './format.ts'

/** One colour per contender, the same in every chart. */
export const contenderColors: Readonly<Record<ContenderId, string>> = {
  'ours-jose': '#2563eb',
  'ours-msal': '#0d9488',
  'msal-node': '#dc2626',
  'azure-identity': '#d97706',
}

/** The floor series of the latency chart. */
export const floorLabel = 'floor: SHA-256 of the assertion + map lookup'
const floorColor = '#6b7280'

const width = 640
/** Tick values of the log axes: one per decade (a log axis otherwise labels every digit). */
const decades: number[] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
const subDecades: number[] = [0.1, ...decades]
const countTicks: number[] = [0, 1, 10, 100, 1_000, 10_000]

/** A quantitative position channel on a log scale, with one tick per given value. */
function logAxis(field: string, title: string, values: number[], labelExpr = "format(datum.value, ',')") {
  return { field, type: 'quantitative', scale: { type: 'log' }, title, axis: { values, labelExpr } } as const
}

function usersLabel(n: number): string {
  return n >= 1_000 ? `${formatCount(n / 1_000)}k` : String(n)
}

function measuredPoints(results: ComparisonResults, id: ContenderId): HitPoint[] {
  const r = results.cacheHits[id]
  if (r === undefined || isNotApplicable(r)) return []
  return r.points.filter((p): p is HitPoint => !isSkipped(p))
}

/**
 * Cache-hit latency per `getToken` against the number of cached users, both axes logarithmic: median (solid,
 * with points) and p99 (dashed) per contender, the floor measured beside onbehalf's hits, and the in-run ratio
 * to msal-node at the bar size.
 *
 * @example
 * ```ts
 * const svg = await renderSvg(latencyChartSpec(results, 4_000, 250))
 * ```
 */
export function latencyChartSpec(results: ComparisonResults, barUsers: number, capMs: number): TopLevelSpec {
  const rows: { series: string; users: number; us: number; statistic: 'median' | 'p99' }[] = []
  const series: { label: string; color: string }[] = []
  const notes: string[] = []
  for (const id of contenderIds) {
    const r = results.cacheHits[id]
    if (r === undefined || isNotApplicable(r)) continue
    series.push({ label: contenderLabels[id], color: contenderColors[id] })
    for (const p of measuredPoints(results, id)) {
      rows.push({ series: contenderLabels[id], users: p.users, us: p.hitUs.median, statistic: 'median' })
      rows.push({ series: contenderLabels[id], users: p.users, us: p.hitUs.p99, statistic: 'p99' })
    }
    const skipped = r.points.filter(isSkipped).map((p) => usersLabel(p.users))
    if (skipped.length > 0) {
      notes.push(
        `${contenderLabels[id]}: not run at ${skipped.join(', ')} users (one lookup projected over ${formatCount(capMs)} ms)`,
      )
    }
  }
  const floorSource = measuredPoints(results, 'ours-jose').some((p) => p.floorUs !== undefined)
    ? 'ours-jose'
    : 'ours-msal'
  for (const p of measuredPoints(results, floorSource)) {
    if (p.floorUs === undefined) continue
    rows.push({ series: floorLabel, users: p.users, us: p.floorUs.median, statistic: 'median' })
  }
  if (rows.some((r) => r.series === floorLabel)) series.push({ label: floorLabel, color: floorColor })

  const ours = measuredPoints(results, 'ours-jose').find((p) => p.users === barUsers)
  const theirs = measuredPoints(results, 'msal-node').find((p) => p.users === barUsers)
  const annotation =
    ours !== undefined && theirs !== undefined
      ? [
          {
            users: barUsers,
            // Halfway between the two medians on the log axis.
            us: Math.sqrt(ours.hitUs.median * theirs.hitUs.median),
            // Two centred lines: narrow enough to stay inside the plot and clear of the lines at any size.
            text: [
              `${formatRatio(theirs.hitUs.median / ours.hitUs.median)} faster`,
              `at ${formatCount(barUsers)} users`,
            ],
          },
        ]
      : []
  const x = logAxis(
    'users',
    'distinct users in the cache',
    decades,
    "datum.value >= 1000 ? format(datum.value / 1000, ',') + 'k' : format(datum.value, ',')",
  )
  const y = logAxis('us', 'time per cache hit (µs)', subDecades)
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: series.map((s) => s.label), range: series.map((s) => s.color) },
  } as const
  return {
    width,
    height: 320,
    title: {
      text: 'Cache hit: latency per getToken vs users in the cache',
      subtitle: [
        'log-log · median (solid, points) and p99 (dashed) · same run, same machine, emulator over HTTPS',
        ...notes,
      ],
    },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2.4 },
        transform: [{ filter: "datum.statistic === 'median'" }],
        encoding: { x, y, color },
      },
      {
        mark: { type: 'point', filled: true, size: 40 },
        transform: [{ filter: "datum.statistic === 'median'" }],
        encoding: { x, y, color },
      },
      {
        mark: { type: 'line', strokeWidth: 1.3, strokeDash: [5, 4], opacity: 0.7 },
        transform: [{ filter: "datum.statistic === 'p99'" }],
        encoding: { x, y, color },
      },
      {
        data: { values: annotation },
        mark: { type: 'text', align: 'center', baseline: 'middle', fontSize: 13, fontWeight: 'bold', color: '#111827' },
        encoding: {
          x: { field: 'users', type: 'quantitative' },
          y: { field: 'us', type: 'quantitative' },
          text: { field: 'text' },
        },
      },
    ],
  }
}

/**
 * Token requests each contender sent per scenario (counted at the emulator), grouped bars on a symlog axis (so
 * that 1 and 1,000 both read), values on the bars.
 *
 * @example
 * ```ts
 * const svg = await renderSvg(requestsChartSpec(results))
 * ```
 */
export function requestsChartSpec(results: ComparisonResults): TopLevelSpec {
  const rows: { scenario: string; contender: string; requests: number }[] = []
  const add = (scenario: string, id: ContenderId, requests: number): void => {
    rows.push({ scenario, contender: contenderLabels[id], requests })
  }
  for (const id of contenderIds) {
    const r = results.perRequest[id]
    if (r !== undefined && !isNotApplicable(r)) {
      add(`Returning user (${formatCount(r.calls)} calls)`, id, r.requests.token)
    }
  }
  for (const id of contenderIds) {
    const r = results.herd[id]
    if (r !== undefined && !isNotApplicable(r)) {
      add(`Herd (${formatCount(r.concurrency)} concurrent cold calls)`, id, r.requests.token)
    }
  }
  for (const id of contenderIds) {
    const r = results.cold[id]
    if (r !== undefined && !isNotApplicable(r)) add('Cold first call (fresh process)', id, r.requests.token)
  }
  const present = contenderIds.filter((id) => rows.some((r) => r.contender === contenderLabels[id]))
  const color = {
    field: 'contender',
    type: 'nominal',
    title: null,
    scale: { domain: present.map((id) => contenderLabels[id]), range: present.map((id) => contenderColors[id]) },
  } as const
  const encoding = {
    x: {
      field: 'scenario',
      type: 'nominal',
      title: null,
      sort: null,
      axis: { labelAngle: 0, labelLimit: 0 },
    },
    xOffset: { field: 'contender', type: 'nominal', sort: present.map((id) => contenderLabels[id]) },
    y: {
      field: 'requests',
      type: 'quantitative',
      scale: { type: 'symlog' },
      title: 'token requests',
      axis: { values: countTicks, labelExpr: "format(datum.value, ',')" },
    },
  } as const
  return {
    width,
    height: 280,
    title: {
      text: 'Token requests sent to the identity provider',
      subtitle: 'counted at the emulator · symlog scale · fewer is better',
    },
    data: { values: rows },
    encoding,
    layer: [
      { mark: { type: 'bar' }, encoding: { color } },
      {
        mark: { type: 'text', dy: -6, fontSize: 11, color: '#111827' },
        encoding: { text: { field: 'requests', type: 'quantitative', format: ',' } },
      },
    ],
  }
}

/**
 * The protected API's cost per request for a returning caller (validate + OBO token): median and p99 per middle
 * tier on a log axis, with the target for onbehalf (≤ `budgetUs` added per request).
 *
 * @example
 * ```ts
 * const svg = await renderSvg(protectedApiChartSpec(results, 20))
 * ```
 */
export function protectedApiChartSpec(results: ComparisonResults, budgetUs: number): TopLevelSpec {
  const rows: { tier: string; statistic: string; us: number; label: string }[] = []
  const present: ContenderId[] = []
  for (const id of contenderIds) {
    const r = results.protectedApi?.[id]
    if (r === undefined || isNotApplicable(r)) continue
    present.push(id)
    for (const [statistic, us] of [
      ['median', r.requestUs.median],
      ['p99', r.requestUs.p99],
    ] as const) {
      rows.push({ tier: protectedTierLabels[id], statistic, us, label: formatMicros(us) })
    }
  }
  const y = {
    field: 'tier',
    type: 'nominal',
    title: null,
    sort: present.map((id) => protectedTierLabels[id]),
    axis: { labelLimit: 0 },
  } as const
  // Bars start at 1 µs: a log axis has no zero to start them from.
  const x = {
    ...logAxis('us', 'time per request (µs)', decades),
    scale: { type: 'log', domainMin: 1, nice: true },
  } as const
  return {
    width: 520,
    height: { step: 18 },
    title: {
      text: 'Protected API: validate the caller’s token + OBO token, per request',
      subtitle: `returning callers · median and p99 · log scale · dashed rule: the target for onbehalf, ≤ ${formatCount(budgetUs)} µs`,
    },
    layer: [
      {
        data: { values: rows },
        encoding: {
          y,
          yOffset: { field: 'statistic', type: 'nominal', sort: ['median', 'p99'] },
          x,
        },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              x2: { datum: 1 },
              color: {
                field: 'statistic',
                type: 'nominal',
                title: null,
                scale: { domain: ['median', 'p99'], range: ['#2563eb', '#93c5fd'] },
              },
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#111827' },
            encoding: { text: { field: 'label' } },
          },
        ],
      },
      {
        data: { values: [{ us: budgetUs, text: `target: ≤ ${formatCount(budgetUs)} µs` }] },
        layer: [
          { mark: { type: 'rule', color: '#111827', strokeDash: [4, 3] }, encoding: { x } },
          {
            mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, y: 2, fontSize: 11, color: '#111827' },
            encoding: { x, text: { field: 'text' } },
          },
        ],
      },
    ],
  }
}
