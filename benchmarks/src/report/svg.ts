/**
 * The two charts, written as plain SVG: cache-hit latency vs users served (log-log) and token requests per
 * scenario (grouped bars, log scale).
 *
 * @module
 */
import {
  contenderLabels,
  isNotApplicable,
  isSkipped,
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

const font = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`
}

function logScale(min: number, max: number, from: number, to: number): (v: number) => number {
  const a = Math.log10(min)
  const b = Math.log10(max)
  return (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from)
}

function decades(min: number, max: number): number[] {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e)
  return out
}

function usersLabel(n: number): string {
  return n >= 1_000 ? `${formatCount(n / 1_000)}k` : String(n)
}

/**
 * The latency chart: median (solid) and p99 (dashed) per cache hit against the number of cached users, both
 * axes logarithmic, with the in-run ratio at the bar size.
 *
 * @example
 * ```ts
 * writeFileSync('cache-hit-latency.svg', latencyChart(results, 4_000, 250))
 * ```
 */
export function latencyChart(results: ComparisonResults, barUsers: number, capMs: number): string {
  const width = 760
  const height = 460
  const left = 78
  const right = 24
  const top = 58
  const bottom = 92
  const series: { id: ContenderId; points: HitPoint[]; skipped: number[] }[] = []
  for (const [id, result] of Object.entries(results.cacheHits) as [
    ContenderId,
    (typeof results.cacheHits)[ContenderId],
  ][]) {
    if (isNotApplicable(result)) continue
    series.push({
      id,
      points: result.points.filter((p): p is HitPoint => !isSkipped(p)),
      skipped: result.points.filter(isSkipped).map((p) => p.users),
    })
  }
  const allUsers = series.flatMap((s) => [...s.points.map((p) => p.users), ...s.skipped])
  const allUs = series.flatMap((s) => s.points.flatMap((p) => [p.hitUs.median, p.hitUs.p99]))
  const xMin = Math.max(1, Math.min(...allUsers, 1))
  const xMax = Math.max(...allUsers, 10)
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...allUs))))
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...allUs, yMin * 10)))
  const x = logScale(xMin, xMax, left, width - right)
  const y = logScale(yMin, yMax, height - bottom, top)
  const parts: string[] = []
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  parts.push(
    text(
      left,
      26,
      'Cache hit: latency per getToken vs users in the cache',
      `font-size="17" font-weight="600" fill="#111827"`,
    ),
  )
  parts.push(
    text(
      left,
      45,
      'log-log · median (solid) and p99 (dashed) · same run, same machine, emulator over HTTPS',
      `font-size="12" fill="#4b5563"`,
    ),
  )
  for (const v of decades(yMin, yMax)) {
    if (v < yMin || v > yMax) continue
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>`,
    )
    parts.push(
      text(
        left - 8,
        y(v) + 4,
        formatMicros(v).replace(/\.0+ /, ' ').replace(/\.00 /, ' '),
        `font-size="11" fill="#4b5563" text-anchor="end"`,
      ),
    )
  }
  for (const v of decades(xMin, xMax)) {
    if (v < xMin || v > xMax) continue
    parts.push(
      `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top}" y2="${height - bottom}" stroke="#f3f4f6"/>`,
    )
    parts.push(text(x(v), height - bottom + 18, usersLabel(v), `font-size="11" fill="#4b5563" text-anchor="middle"`))
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="none" stroke="#9ca3af"/>`,
  )
  parts.push(
    text(
      (left + width - right) / 2,
      height - bottom + 38,
      'distinct users in the cache',
      `font-size="12" fill="#374151" text-anchor="middle"`,
    ),
  )
  parts.push(
    text(
      18,
      (top + height - bottom) / 2,
      'time per cache hit',
      `font-size="12" fill="#374151" text-anchor="middle" transform="rotate(-90 18 ${(top + height - bottom) / 2})"`,
    ),
  )
  for (const s of series) {
    const color = contenderColors[s.id]
    const line = (pick: (p: HitPoint) => number): string =>
      s.points.map((p) => `${x(p.users).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ')
    parts.push(
      `<polyline points="${line((p) => p.hitUs.p99)}" fill="none" stroke="${color}" stroke-width="1.3" stroke-dasharray="5 4" opacity="0.7"/>`,
    )
    parts.push(`<polyline points="${line((p) => p.hitUs.median)}" fill="none" stroke="${color}" stroke-width="2.4"/>`)
    for (const p of s.points) {
      parts.push(`<circle cx="${x(p.users).toFixed(1)}" cy="${y(p.hitUs.median).toFixed(1)}" r="3.6" fill="${color}"/>`)
    }
  }
  // Sizes a contender skipped, noted in the plot's top-right corner.
  let noteY = top + 16
  for (const s of series) {
    if (s.skipped.length === 0) continue
    const sizes = s.skipped.map(usersLabel).join(', ')
    parts.push(
      text(
        width - right - 8,
        noteY,
        `${contenderLabels[s.id]}: not run at ${sizes} users (one lookup projected over ${formatCount(capMs)} ms)`,
        `font-size="11" fill="${contenderColors[s.id]}" text-anchor="end"`,
      ),
    )
    noteY += 15
  }
  const ratioAt = (id: ContenderId): number | undefined => {
    const mine = series.find((s) => s.id === id)?.points.find((p) => p.users === barUsers)
    const theirs = series.find((s) => s.id === 'msal-node')?.points.find((p) => p.users === barUsers)
    return mine !== undefined && theirs !== undefined ? theirs.hitUs.median / mine.hitUs.median : undefined
  }
  const ratio = ratioAt('ours-jose')
  const theirs = series.find((s) => s.id === 'msal-node')?.points.find((p) => p.users === barUsers)
  const mine = series.find((s) => s.id === 'ours-jose')?.points.find((p) => p.users === barUsers)
  if (ratio !== undefined && theirs !== undefined && mine !== undefined) {
    const bx = x(barUsers)
    parts.push(
      `<line x1="${bx.toFixed(1)}" x2="${bx.toFixed(1)}" y1="${y(theirs.hitUs.median).toFixed(1)}" y2="${y(mine.hitUs.median).toFixed(1)}" stroke="#111827" stroke-width="1" marker-end="url(#arrow)"/>`,
    )
    const my = (y(theirs.hitUs.median) + y(mine.hitUs.median)) / 2
    parts.push(
      text(
        bx - 8,
        my,
        `${formatRatio(ratio)} faster`,
        `font-size="13" font-weight="600" fill="#111827" text-anchor="end"`,
      ),
    )
    parts.push(
      text(bx - 8, my + 16, `at ${formatCount(barUsers)} users`, `font-size="11" fill="#374151" text-anchor="end"`),
    )
  }
  parts.push(
    ...legend(
      series.map((s) => s.id),
      left,
      height - 36,
      width - right,
      'line',
    ),
  )
  return svgDocument(width, height, parts)
}

/**
 * The requests chart: token requests each contender made per scenario, log scale, values on the bars.
 *
 * @example
 * ```ts
 * writeFileSync('token-requests.svg', requestsChart(results))
 * ```
 */
export function requestsChart(results: ComparisonResults): string {
  const groups: { label: string; sub: string; values: Map<ContenderId, number> }[] = []
  const perRequest = new Map<ContenderId, number>()
  let calls = 0
  for (const [id, r] of Object.entries(results.perRequest) as [
    ContenderId,
    (typeof results.perRequest)[ContenderId],
  ][]) {
    if (isNotApplicable(r)) continue
    perRequest.set(id, r.requests.token)
    calls = r.calls
  }
  if (perRequest.size > 0) {
    groups.push({
      label: 'Returning user, new credential per call',
      sub: `${formatCount(calls)} sequential calls`,
      values: perRequest,
    })
  }
  const herd = new Map<ContenderId, number>()
  let concurrency = 0
  for (const [id, r] of Object.entries(results.herd) as [ContenderId, (typeof results.herd)[ContenderId]][]) {
    if (isNotApplicable(r)) continue
    herd.set(id, r.requests.token)
    concurrency = r.concurrency
  }
  if (herd.size > 0) {
    groups.push({
      label: 'Thundering herd, one user',
      sub: `${formatCount(concurrency)} concurrent cold calls`,
      values: herd,
    })
  }
  const cold = new Map<ContenderId, number>()
  for (const [id, r] of Object.entries(results.cold) as [ContenderId, (typeof results.cold)[ContenderId]][]) {
    if (isNotApplicable(r)) continue
    cold.set(id, r.requests.token)
  }
  if (cold.size > 0) {
    groups.push({ label: 'Cold first call', sub: '1 call in a fresh process', values: cold })
  }

  const width = 760
  const height = 400
  const left = 64
  const right = 24
  const top = 74
  const bottom = 104
  const maxValue = Math.max(10, ...groups.flatMap((g) => [...g.values.values()]))
  const yMax = 10 ** Math.ceil(Math.log10(maxValue))
  // The axis starts below 1 so that a single request still shows as a bar.
  const floor = 0.4
  const y = logScale(floor, yMax, height - bottom, top)
  const parts: string[] = []
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  parts.push(
    text(left, 26, 'Token requests sent to the identity provider', `font-size="17" font-weight="600" fill="#111827"`),
  )
  parts.push(text(left, 45, 'counted at the emulator · log scale · fewer is better', `font-size="12" fill="#4b5563"`))
  for (const v of decades(1, yMax)) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>`,
    )
    parts.push(text(left - 8, y(v) + 4, formatCount(v), `font-size="11" fill="#4b5563" text-anchor="end"`))
  }
  const ids = [...new Set(groups.flatMap((g) => [...g.values.keys()]))]
  const groupWidth = (width - left - right) / Math.max(1, groups.length)
  const barWidth = Math.min(38, (groupWidth - 30) / Math.max(1, ids.length))
  groups.forEach((g, gi) => {
    const gx = left + gi * groupWidth + (groupWidth - barWidth * ids.length) / 2
    ids.forEach((id, i) => {
      const v = g.values.get(id)
      if (v === undefined) return
      const bx = gx + i * barWidth
      const base = height - bottom
      // A value of 0 cannot sit on a log axis: it is drawn as a hairline at the floor, with its label.
      const by = v > 0 ? y(v) : base
      parts.push(
        `<rect x="${(bx + 2).toFixed(1)}" y="${Math.min(by, base - 2).toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${Math.max(2, base - by).toFixed(1)}" fill="${contenderColors[id]}"/>`,
      )
      parts.push(
        text(
          bx + barWidth / 2,
          Math.min(by, base - 2) - 5,
          formatCount(v),
          `font-size="11" fill="#111827" text-anchor="middle"`,
        ),
      )
    })
    parts.push(
      text(
        left + gi * groupWidth + groupWidth / 2,
        height - bottom + 20,
        g.label,
        `font-size="12" fill="#111827" text-anchor="middle"`,
      ),
    )
    parts.push(
      text(
        left + gi * groupWidth + groupWidth / 2,
        height - bottom + 36,
        g.sub,
        `font-size="11" fill="#4b5563" text-anchor="middle"`,
      ),
    )
  })
  parts.push(
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#9ca3af"/>`,
  )
  parts.push(...legend(ids, left, height - 40, width - right, 'box'))
  return svgDocument(width, height, parts)
}

/** Legend entries in rows of two, starting at (`x`, `y`). */
function legend(ids: readonly ContenderId[], x: number, y: number, right: number, swatch: 'line' | 'box'): string[] {
  const parts: string[] = []
  const column = (right - x) / 2
  ids.forEach((id, i) => {
    const lx = x + (i % 2) * column
    const ly = y + Math.floor(i / 2) * 18
    const color = contenderColors[id]
    parts.push(
      swatch === 'line'
        ? `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2.4"/>`
        : `<rect x="${lx + 4}" y="${ly - 11}" width="14" height="12" fill="${color}"/>`,
    )
    parts.push(text(lx + 28, ly, contenderLabels[id], `font-size="12" fill="#111827"`))
  })
  return parts
}

function svgDocument(width: number, height: number, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${font} role="img">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#111827"/></marker></defs>',
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
