/**
 * `docs/benchmarks.md`: headline, charts, bars, one table per scenario, machine, versions and method. Generated
 * entirely from one results object, so the page always matches one run.
 *
 * @module
 */
import {
  contenderIds,
  contenderLabels,
  isNotApplicable,
  isSkipped,
  type ComparisonResults,
  type ContenderId,
  type HitPoint,
} from '../results.ts'
import type { ComparisonSettings } from '../settings.ts'
import { formatBytes, formatCount, formatMicros, formatMillis, formatRatio } from './format.ts'

/** Where the charts are, relative to the Markdown file. */
export interface ChartLinks {
  readonly latency: string
  readonly requests: string
}

function hitPoint(results: ComparisonResults, id: ContenderId, users: number): HitPoint | undefined {
  const r = results.cacheHits[id]
  if (r === undefined || isNotApplicable(r)) return undefined
  const p = r.points.find((q) => q.users === users)
  return p === undefined || isSkipped(p) ? undefined : p
}

/** The ratios quoted in the headline, computed within the run. */
export interface Headline {
  readonly barUsers: number
  readonly oursHitUs: number | undefined
  readonly msalHitUs: number | undefined
  readonly hitRatio: number | undefined
  readonly perRequest: {
    readonly calls: number
    readonly ours: number | undefined
    readonly identity: number | undefined
    readonly msal: number | undefined
  }
  readonly herd: {
    readonly concurrency: number
    readonly ours: number | undefined
    readonly msal: number | undefined
    readonly identity: number | undefined
  }
}

/**
 * The headline figures: hit cost vs msal-node at the bar size, token requests per scenario.
 *
 * @example
 * ```ts
 * headline(results, 4_000).hitRatio // e.g. 9000
 * ```
 */
export function headline(results: ComparisonResults, barUsers: number): Headline {
  const ours = hitPoint(results, 'ours-jose', barUsers)
  const msal = hitPoint(results, 'msal-node', barUsers)
  const pr = (id: ContenderId): number | undefined => {
    const r = results.perRequest[id]
    return r === undefined || isNotApplicable(r) ? undefined : r.requests.token
  }
  const hd = (id: ContenderId): number | undefined => {
    const r = results.herd[id]
    return r === undefined || isNotApplicable(r) ? undefined : r.requests.token
  }
  const anyPerRequest = Object.values(results.perRequest).find((r) => r !== undefined && !isNotApplicable(r))
  const anyHerd = Object.values(results.herd).find((r) => r !== undefined && !isNotApplicable(r))
  return {
    barUsers,
    oursHitUs: ours?.hitUs.median,
    msalHitUs: msal?.hitUs.median,
    hitRatio: ours !== undefined && msal !== undefined ? msal.hitUs.median / ours.hitUs.median : undefined,
    perRequest: {
      calls: anyPerRequest !== undefined && !isNotApplicable(anyPerRequest) ? anyPerRequest.calls : 0,
      ours: pr('ours-jose'),
      identity: pr('azure-identity'),
      msal: pr('msal-node'),
    },
    herd: {
      concurrency: anyHerd !== undefined && !isNotApplicable(anyHerd) ? anyHerd.concurrency : 0,
      ours: hd('ours-jose'),
      msal: hd('msal-node'),
      identity: hd('azure-identity'),
    },
  }
}

const n = (v: number | undefined): string => (v === undefined ? '–' : formatCount(v))

/**
 * The headline as Markdown bullets (also used in the root README snippet).
 *
 * @example
 * ```ts
 * headlineBullets(headline(results, 4_000))
 * ```
 */
export function headlineBullets(h: Headline): string[] {
  const lines: string[] = []
  if (h.hitRatio !== undefined && h.oursHitUs !== undefined && h.msalHitUs !== undefined) {
    lines.push(
      `- **${formatRatio(h.hitRatio)} faster cache hits than msal-node at ${formatCount(h.barUsers)} cached users**: ${formatMicros(h.oursHitUs)} per \`getToken\` with a new credential per call, vs ${formatMicros(h.msalHitUs)} for msal-node's shared \`ConfidentialClientApplication\` (median, same run).`,
    )
  }
  if (h.perRequest.calls > 0) {
    lines.push(
      `- **${n(h.perRequest.ours)} token request for ${formatCount(h.perRequest.calls)} calls** of a returning user with a new credential per call; \`@azure/identity\`'s \`OnBehalfOfCredential\` made ${n(h.perRequest.identity)}.`,
    )
  }
  if (h.herd.concurrency > 0) {
    lines.push(
      `- **${n(h.herd.ours)} token request for ${formatCount(h.herd.concurrency)} concurrent cold calls** for one user; msal-node made ${n(h.herd.msal)}, \`@azure/identity\` ${n(h.herd.identity)}.`,
    )
  }
  return lines
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ('l' | 'r')[],
): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'))
  return [`| ${header.join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

function requestsBreakdown(byEndpoint: Readonly<Record<string, number>>): string {
  const parts = Object.entries(byEndpoint).map(([kind, count]) => `${kind} ${formatCount(count)}`)
  return parts.length === 0 ? 'none' : parts.join(', ')
}

/**
 * The whole page.
 *
 * @example
 * ```ts
 * writeFileSync('docs/benchmarks.md', renderMarkdown(results, settings, { latency: 'benchmarks/cache-hit-latency.svg', requests: 'benchmarks/token-requests.svg' }))
 * ```
 */
export function renderMarkdown(results: ComparisonResults, settings: ComparisonSettings, charts: ChartLinks): string {
  const out: string[] = []
  const ids = contenderIds.filter((id) => settings.contenders.includes(id))
  const h = headline(results, settings.barUsers)
  out.push('# Benchmarks: onbehalf vs msal-node and @azure/identity')
  out.push('')
  out.push(
    `> Generated by \`pnpm bench:compare\` on ${results.date.slice(0, 10)} (${formatCount(results.durationMs / 1000)} s run). Every figure on this page comes from that one run, on one machine, against the same local Entra emulator over HTTPS. Do not edit by hand: re-run the command.`,
  )
  out.push('')
  out.push(...headlineBullets(h))
  out.push('')
  out.push(`![Cache-hit latency vs users in the cache](${charts.latency})`)
  out.push('')
  out.push(`![Token requests per scenario](${charts.requests})`)
  out.push('')

  out.push('## Targets')
  out.push('')
  out.push("The project's performance targets that this run can decide, computed from its own figures.")
  out.push('')
  out.push(
    table(
      ['target', 'measured', 'threshold', 'result'],
      results.bars.map((b) => [b.name, b.value, b.threshold, b.pass ? '**PASS**' : '**FAIL**']),
    ),
  )
  out.push('')

  out.push('## 1. Cache hit vs users served')
  out.push('')
  out.push(
    `Time for one \`getToken\` that is served from the cache, with N distinct users cached. onbehalf builds a **new \`OnBehalfOfCredential\` per call** (the per-request pattern, construction included in the time); msal-node calls \`acquireTokenOnBehalfOf\` on **one shared \`ConfidentialClientApplication\`**. Each hit picks a random cached user; a hit counts only if it returns that user's own token, and the emulator confirms no token request was made while measuring. Median and p99 over up to ${formatCount(settings.hitMaxSamples)} hits (or ${formatCount(settings.hitBudgetMs / 1000)} s) per size. The floor is the least a hit can cost: SHA-256 of the same assertion with \`node:crypto\` and a lookup in a map of every cached user's hash, timed in the same process, interleaved with onbehalf's hits (the jose contender's figures).`,
  )
  out.push('')
  const hitIds = ids.filter((id) => results.cacheHits[id] !== undefined && !isNotApplicable(results.cacheHits[id]))
  const hitRows: string[][] = []
  const skippedNotes: string[] = []
  for (const users of settings.sizes) {
    const row = [formatCount(users)]
    for (const id of hitIds) {
      const r = results.cacheHits[id]
      const p = r === undefined || isNotApplicable(r) ? undefined : r.points.find((q) => q.users === users)
      if (p === undefined) row.push('–')
      else if (isSkipped(p)) {
        row.push('skipped¹')
        skippedNotes.push(`${contenderLabels[id]} at ${formatCount(users)} users: ${p.skipped}.`)
      } else row.push(`${formatMicros(p.hitUs.median)} / ${formatMicros(p.hitUs.p99)}`)
    }
    const floor = hitPoint(results, 'ours-jose', users)?.floorUs ?? hitPoint(results, 'ours-msal', users)?.floorUs
    row.push(floor === undefined ? '–' : `${formatMicros(floor.median)} / ${formatMicros(floor.p99)}`)
    if (hitIds.includes('msal-node')) {
      const msal = hitPoint(results, 'msal-node', users)
      const ours = hitPoint(results, 'ours-jose', users)
      row.push(msal !== undefined && ours !== undefined ? formatRatio(msal.hitUs.median / ours.hitUs.median) : '–')
    }
    hitRows.push(row)
  }
  const hitHeader = [
    'cached users',
    ...hitIds.map((id) => `${contenderLabels[id]}<br>median / p99`),
    'floor: SHA-256 + map lookup<br>median / p99',
  ]
  if (hitIds.includes('msal-node')) hitHeader.push('msal-node ÷ onbehalf (jose)')
  out.push(
    table(
      hitHeader,
      hitRows,
      hitHeader.map((_, i) => (i === 0 ? 'r' : 'r')),
    ),
  )
  out.push('')
  if (skippedNotes.length > 0) {
    out.push(`¹ ${skippedNotes.join(' ')}`)
    out.push('')
  }
  const identityHits = results.cacheHits['azure-identity']
  if (identityHits !== undefined && isNotApplicable(identityHits)) {
    out.push(`\`@azure/identity\` is not in this table: ${identityHits.notApplicable}`)
    out.push('')
  }
  const fillNotes: string[] = []
  for (const id of hitIds) {
    const r = results.cacheHits[id]
    if (r === undefined || isNotApplicable(r)) continue
    const fills = r.points
      .filter((p): p is HitPoint => !isSkipped(p))
      .map((p) => `${formatCount(p.users)}: ${formatMillis(p.fillMs)}`)
    fillNotes.push(`${contenderLabels[id]}: ${fills.join(', ')}`)
  }
  out.push(
    `Filling: up to ${formatCount(settings.realUsers)} users every entry comes from a real exchange with the emulator (a user added to the emulator, its access token minted and exchanged through the contender). Beyond that, entries are written through each contender's public cache API (see Method). Time spent filling each step: ${fillNotes.join('; ')}.`,
  )
  out.push('')

  out.push('## 2. Per-request credential, returning user')
  out.push('')
  out.push(
    "One user, sequential calls (the first is the user's first visit). onbehalf and `@azure/identity` build a new credential per call, since the user assertion is a constructor argument; msal-node uses its one shared app. Token requests are counted at the emulator.",
  )
  out.push('')
  out.push(
    table(
      ['contender', 'pattern', 'token requests', 'all requests', 'median / p99 per call'],
      ids.flatMap((id) => {
        const r = results.perRequest[id]
        if (r === undefined) return []
        if (isNotApplicable(r)) return [[contenderLabels[id], r.notApplicable, '–', '–', '–']]
        return [
          [
            contenderLabels[id],
            r.pattern,
            `${formatCount(r.requests.token)} per ${formatCount(r.calls)} calls`,
            `${formatCount(r.requests.total)} (${requestsBreakdown(r.requests.byEndpoint)})`,
            `${formatMillis(r.latencyMs.median)} / ${formatMillis(r.latencyMs.p99)}`,
          ],
        ]
      }),
      ['l', 'l', 'r', 'l', 'r'],
    ),
  )
  out.push('')

  out.push('## 3. Thundering herd')
  out.push('')
  out.push(
    "In a fresh process, that many calls for one user start at once (a new credential each for onbehalf and `@azure/identity`; the shared app for msal-node). The emulator is one Node process on the same machine: a herd that reaches it as 1,000 or more simultaneous HTTPS requests queues there, so times are long and a contender's failures under that load are reported as they happened (msal-node does not retry token requests; `@azure/identity` retries up to 3 times).",
  )
  out.push('')
  out.push(
    table(
      [
        'contender',
        'concurrent calls',
        'token requests',
        'all requests',
        'until all served',
        'failed',
        'distinct tokens',
      ],
      ids.flatMap((id) => {
        const r = results.herd[id]
        if (r === undefined) return []
        if (isNotApplicable(r)) {
          return [[contenderLabels[id], r.notApplicable, '–', '–', '–', '–', '–']]
        }
        return [
          [
            contenderLabels[id],
            formatCount(r.concurrency),
            formatCount(r.requests.token),
            `${formatCount(r.requests.total)} (${requestsBreakdown(r.requests.byEndpoint)})`,
            formatMillis(r.totalMs),
            formatCount(r.failed),
            formatCount(r.distinctTokens),
          ],
        ]
      }),
      ['l', 'r', 'r', 'l', 'r', 'r', 'r'],
    ),
  )
  out.push('')

  for (const id of ids) {
    const r = results.herd[id]
    if (r === undefined || isNotApplicable(r) || r.failed === 0) continue
    out.push(
      `${contenderLabels[id]}: ${formatCount(r.failed)} call(s) failed: ${r.errors.map((e) => `\`${e.replace(/`/g, "'")}\``).join('; ')}`,
    )
    out.push('')
  }

  out.push('## 4. Cold exchange')
  out.push('')
  out.push(
    `The first call of a fresh process, library already imported (msal-node's app already constructed): discovery and the token request, as each contender does them. Median over ${settings.coldRuns} process(es).`,
  )
  out.push('')
  out.push(
    table(
      ['contender', 'first call (median)', 'runs', 'token requests', 'all requests'],
      ids.flatMap((id) => {
        const r = results.cold[id]
        if (r === undefined) return []
        if (isNotApplicable(r)) return [[contenderLabels[id], r.notApplicable, '–', '–', '–']]
        return [
          [
            contenderLabels[id],
            formatMillis(r.medianMs),
            r.firstCallMs.map((ms) => formatMillis(ms)).join(', '),
            formatCount(r.requests.token),
            `${formatCount(r.requests.total)} (${requestsBreakdown(r.requests.byEndpoint)})`,
          ],
        ]
      }),
      ['l', 'r', 'l', 'r', 'l'],
    ),
  )
  out.push('')

  out.push('## 5. Memory per cached user')
  out.push('')
  out.push(
    'Heap retained per cached user (`heapUsed` after full garbage collections, `--expose-gc`, minus a baseline taken with the contender set up and warm). "Tokens" is the characters of the token strings the contender keeps per user (onbehalf: access + refresh token; msal-node: access, refresh and ID token); the overhead is the rest.',
  )
  out.push('')
  const memoryRows: string[][] = []
  const memoryNotes: string[] = []
  for (const id of ids) {
    const r = results.memory[id]
    if (r === undefined) continue
    if (isNotApplicable(r)) {
      memoryNotes.push(`${contenderLabels[id]}: ${r.notApplicable}`)
      continue
    }
    for (const p of r.points) {
      if (isSkipped(p)) {
        memoryRows.push([contenderLabels[id], formatCount(p.users), 'skipped²', '–', '–'])
        memoryNotes.push(`² ${contenderLabels[id]} at ${formatCount(p.users)} users: ${p.skipped}.`)
      } else {
        memoryRows.push([
          contenderLabels[id],
          formatCount(p.users),
          formatBytes(p.bytesPerUser),
          formatBytes(p.tokenBytesPerUser),
          formatBytes(p.bytesPerUser - p.tokenBytesPerUser),
        ])
      }
    }
  }
  out.push(
    table(['contender', 'cached users', 'heap per user', 'tokens', 'overhead'], memoryRows, ['l', 'r', 'r', 'r', 'r']),
  )
  out.push('')
  if (memoryNotes.length > 0) {
    out.push(memoryNotes.join('\n\n'))
    out.push('')
  }

  out.push('## Machine and versions')
  out.push('')
  const m = results.machine
  out.push(
    table(
      ['', ''],
      [
        ['date', results.date],
        ['CPU', `${m.cpuModel}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['load average (1 min) at start', String(m.loadAverageAtStart)],
        ...Object.entries(results.versions).map(([k, v]) => [k, v]),
      ],
    ),
  )
  out.push('')
  if (m.loadAverageAtStart > m.cores) {
    out.push(
      `The machine was busy with other work when the run started (load ${m.loadAverageAtStart} on ${m.cores} cores): absolute times are inflated; ratios within the run are less affected, since every contender ran under the same conditions.`,
    )
    out.push('')
  }

  out.push('## Method')
  out.push('')
  out.push(
    [
      "- **One emulator, one run.** `@onbehalf/entra-emulator` runs in the parent process (HTTPS on 127.0.0.1 with a generated CA). Every scenario runs for every contender in its own Node process (`node --expose-gc --conditions=@onbehalf/source --import tsx`), one at a time, started with `NODE_EXTRA_CA_CERTS` pointing at the emulator CA so each library uses its own default HTTP stack. Processes ask the parent for user assertions and read the emulator's request counters over IPC.",
      '- **Contenders.** onbehalf: `new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret, authority, disableInstanceDiscovery: true, cache, engine })` per call, with `createJoseEngine()` or `createMsalEngine()`, and a memory cache created with `maxEntries` above the largest size (the default holds 10,000 entries). msal-node: one `ConfidentialClientApplication` (`authority` = emulator tenant, `knownAuthorities` = emulator host), `acquireTokenOnBehalfOf` per call. `@azure/identity`: `new OnBehalfOfCredential({ tenantId, clientId, clientSecret, userAssertionToken, authorityHost, disableInstanceDiscovery: true })` per call. Instance discovery is skipped by every contender (`knownAuthorities` for msal-node, `disableInstanceDiscovery` for the others): the emulator is a private authority, and discovery through the public cloud is impossible offline.',
      "- **Scope.** Every contender asks for the same delegated scope of the emulator's downstream API (`api://…/Documents.Read`). With `/.default`, msal-node stores the scopes the server granted and never matches its own entries (every call goes to the network), which would make the comparison meaningless.",
      `- **Pre-filling beyond ${formatCount(settings.realUsers)} real users.** Minting and exchanging 100,000 RS256 tokens would take most of the time budget, and msal-node scans its whole cache on every write, so filling it call by call is O(N²). Extra users get assertions and tokens with the exact shape and length of the emulator's (same header and claims; new oid, sub, uti; random signature bytes) and are written through each contender's public API: onbehalf through \`OnBehalfOfCredential\` with an engine factory that wraps the real engine (same name and fingerprint, so the same cache keys) and returns the synthetic token instead of calling the emulator; msal-node through \`getTokenCache().serialize()\`, copying a real user's four entries (account, ID token, access token with its \`userAssertionHash\`, refresh token) per synthetic user, and \`deserialize()\`. Lookups are then measured through the normal calls, over real and pre-filled users alike.`,
      `- **Caps.** A contender is skipped at a size when one lookup, projected linearly from the previous size, exceeds ${formatCount(settings.hitCapMs)} ms (the run must finish in under 10 minutes on 2 cores).`,
      '- **Timing.** `process.hrtime` around each awaited call, after a warm-up per size. Latencies include the `await` and, for per-request credentials, construction. Each call gets a freshly copied assertion string (copied outside the timed region), as a request that has just arrived would bring.',
    ].join('\n'),
  )
  out.push('')
  return out.join('\n')
}
