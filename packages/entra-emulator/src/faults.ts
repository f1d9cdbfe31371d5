/**
 * Which requests a fault applies to. Every given field must match.
 * @example
 * ```ts
 * emu.faults.inject({ kind: 'drop', match: { endpoint: 'jwks' } })
 * ```
 */
export interface FaultMatch {
  /** Endpoint kind. Default `'token'`. */
  readonly endpoint?: EndpointKind | 'any'
  readonly grantType?: string
  readonly clientId?: string
  /** Tenant segment as in the URL (GUID or domain). */
  readonly tenant?: string
}

/**
 * The endpoints the emulator serves.
 * @example
 * ```ts
 * emu.requests.filter((r) => r.endpoint === 'token')
 * ```
 */
export type EndpointKind =
  | 'token'
  | 'openid-configuration'
  | 'jwks'
  | 'instance-discovery'
  | 'managed-identity'
  | 'kubernetes'
  | 'test'
  | 'other'

/**
 * When a fault fires: for the next `times` matching requests and/or with a probability.
 * @example
 * ```ts
 * emu.faults.inject({ kind: 'server-error', times: 2, probability: 0.5 })
 * ```
 */
export interface FaultTrigger {
  /** Fire for this many matching requests, then retire. Default: unlimited. */
  readonly times?: number
  /** Fire with this probability (0–1) per matching request. Default 1. */
  readonly probability?: number
  readonly match?: FaultMatch
}

/**
 * A fault to inject. `latency` delays and lets the request continue; the others answer instead of the emulator.
 * @example
 * ```ts
 * emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 5, times: 1 })
 * ```
 */
export type FaultSpec = FaultTrigger &
  (
    | { readonly kind: 'latency'; readonly latencyMs: number }
    | { readonly kind: 'throttle'; readonly retryAfterSeconds?: number; readonly body?: 'json' | 'text' }
    | { readonly kind: 'server-error'; readonly status?: number; readonly retryAfterSeconds?: number }
    | { readonly kind: 'drop' }
    | { readonly kind: 'malformed'; readonly status?: number; readonly body?: string; readonly contentType?: string }
    | {
        readonly kind: 'error'
        readonly status?: number
        readonly error: string
        readonly errorCode: number
        readonly message?: string
        readonly suberror?: string
        readonly claims?: string
      }
  )

/**
 * A fault that is installed.
 * @example
 * ```ts
 * const fault = emu.faults.inject({ kind: 'drop' })
 * fault.fired // how many requests it hit
 * fault.remove()
 * ```
 */
export interface InstalledFault {
  readonly id: number
  readonly spec: FaultSpec
  /** How many times it fired. */
  readonly fired: number
  /** `false` once `times` is used up or it was removed. */
  readonly active: boolean
  remove(): void
}

/**
 * The fault injector of one emulator.
 * @example
 * ```ts
 * emu.faults.clear()
 * ```
 */
export interface FaultInjector {
  /** Installs a fault; returns a handle to watch or remove it. */
  inject(spec: FaultSpec): InstalledFault
  /** Removes every fault. */
  clear(): void
  /** Faults still active. */
  list(): InstalledFault[]
  /**
   * Picks the faults that fire for one request (consuming their counts): total latency, and the first
   * answering fault.
   */
  select(request: { endpoint: EndpointKind; grantType?: string; clientId?: string; tenant?: string }): {
    latencyMs: number
    answer: FaultSpec | undefined
    fired: number[]
  }
}

interface FaultState {
  readonly id: number
  readonly spec: FaultSpec
  fired: number
  removed: boolean
}

const KINDS = new Set(['latency', 'throttle', 'server-error', 'drop', 'malformed', 'error'])

/**
 * Checks untrusted JSON (the `POST /test/faults` body) and returns it as a {@link FaultSpec}.
 * Throws `TypeError` naming the first bad field.
 *
 * @example
 * ```ts
 * emu.faults.inject(parseFaultSpec(JSON.parse(body)))
 * ```
 */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('a fault must be a JSON object')
  }
  const v = value as Record<string, unknown>
  if (typeof v['kind'] !== 'string' || !KINDS.has(v['kind'])) {
    throw new TypeError(`fault \`kind\` must be one of ${[...KINDS].join(', ')}`)
  }
  const numbers = ['times', 'probability', 'latencyMs', 'retryAfterSeconds', 'status', 'errorCode']
  for (const key of numbers) {
    if (v[key] !== undefined && typeof v[key] !== 'number') throw new TypeError(`fault \`${key}\` must be a number`)
  }
  const strings = ['body', 'contentType', 'error', 'message', 'suberror', 'claims']
  for (const key of strings) {
    if (v[key] !== undefined && typeof v[key] !== 'string') throw new TypeError(`fault \`${key}\` must be a string`)
  }
  if (v['kind'] === 'latency' && typeof v['latencyMs'] !== 'number') {
    throw new TypeError('fault `latencyMs` is required')
  }
  if (v['kind'] === 'error' && (typeof v['error'] !== 'string' || typeof v['errorCode'] !== 'number')) {
    throw new TypeError('fault `error` and `errorCode` are required')
  }
  if (v['match'] !== undefined && (typeof v['match'] !== 'object' || v['match'] === null)) {
    throw new TypeError('fault `match` must be an object')
  }
  const spec = value as FaultSpec
  validate(spec)
  return spec
}

function validate(spec: FaultSpec): void {
  if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 0)) {
    throw new TypeError('fault `times` must be a non-negative integer')
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new TypeError('fault `probability` must be between 0 and 1')
  }
  if (spec.kind === 'latency' && !(spec.latencyMs >= 0)) throw new TypeError('fault `latencyMs` must be ≥ 0')
}

/**
 * Creates a fault injector.
 *
 * @example
 * ```ts
 * const faults = createFaultInjector({ random: Math.random })
 * faults.inject({ kind: 'throttle', retryAfterSeconds: 2, times: 1 })
 * ```
 */
export function createFaultInjector(options: { random: () => number }): FaultInjector {
  const faults: FaultState[] = []
  let nextId = 1
  const isActive = (f: FaultState): boolean => !f.removed && (f.spec.times === undefined || f.fired < f.spec.times)
  const handle = (f: FaultState): InstalledFault => ({
    id: f.id,
    spec: f.spec,
    get fired() {
      return f.fired
    },
    get active() {
      return isActive(f)
    },
    remove() {
      f.removed = true
    },
  })
  const matches = (
    f: FaultState,
    r: { endpoint: EndpointKind; grantType?: string; clientId?: string; tenant?: string },
  ): boolean => {
    const m = f.spec.match ?? {}
    const endpoint = m.endpoint ?? 'token'
    if (endpoint !== 'any' && endpoint !== r.endpoint) return false
    if (m.grantType !== undefined && m.grantType !== r.grantType) return false
    if (m.clientId !== undefined && m.clientId.toLowerCase() !== r.clientId?.toLowerCase()) return false
    if (m.tenant !== undefined && m.tenant.toLowerCase() !== r.tenant?.toLowerCase()) return false
    return true
  }
  return {
    inject(spec) {
      validate(spec)
      const state: FaultState = { id: nextId++, spec, fired: 0, removed: false }
      faults.push(state)
      return handle(state)
    },
    clear() {
      for (const f of faults) f.removed = true
      faults.length = 0
    },
    list: () => faults.filter(isActive).map(handle),
    select(request) {
      let latencyMs = 0
      let answer: FaultSpec | undefined
      const fired: number[] = []
      for (const f of faults) {
        if (!isActive(f) || !matches(f, request)) continue
        if (f.spec.kind !== 'latency' && answer !== undefined) continue
        if (f.spec.probability !== undefined && options.random() >= f.spec.probability) continue
        f.fired++
        fired.push(f.id)
        if (f.spec.kind === 'latency') latencyMs += f.spec.latencyMs
        else answer = f.spec
      }
      return { latencyMs, answer, fired }
    },
  }
}
