import { describe, expect, it } from 'vitest'
import { OboError } from '../errors.ts'
import { backoffMs, defaultRetryPolicy, isRetryableStatus, retryTransient, type RetryPolicy } from './retry-policy.ts'

interface Answer {
  readonly status: number
  readonly retryAfterMs?: number
}

const fast: RetryPolicy = { maxAttempts: 3, deadlineMs: 5_000, baseDelayMs: 1, maxDelayMs: 2 }

/** Plays `script` one entry per attempt: an answer, or an error to reject with. */
function scripted(script: ReadonlyArray<Answer | OboError>): {
  attempt: () => Promise<Answer>
  attempts: () => number
} {
  let calls = 0
  return {
    attempt: () => {
      const next = script[Math.min(calls, script.length - 1)]
      calls += 1
      return next instanceof OboError ? Promise.reject(next) : Promise.resolve(next as Answer)
    },
    attempts: () => calls,
  }
}

const networkError = (): OboError => new OboError('connection reset', { code: 'NETWORK_ERROR' })

describe('retry policy', () => {
  it('retries 429 and 5xx only', () => {
    expect([429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true)
    expect([200, 204, 400, 401, 403, 404, 408].some(isRetryableStatus)).toBe(false)
  })

  it('honours Retry-After as given, else backs off with capped full jitter', () => {
    expect(backoffMs(defaultRetryPolicy, 1, 60_000)).toBe(60_000)
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const wait = backoffMs(defaultRetryPolicy, attempt, undefined)
      expect(wait).toBeGreaterThanOrEqual(0)
      expect(wait).toBeLessThanOrEqual(
        Math.min(defaultRetryPolicy.maxDelayMs, defaultRetryPolicy.baseDelayMs * 2 ** (attempt - 1)),
      )
    }
  })
})

describe('retryTransient', () => {
  it('returns a non-retryable answer at once', async () => {
    const { attempt, attempts } = scripted([{ status: 400 }])
    expect(await retryTransient({ policy: fast, attempt })).toEqual({ status: 400 })
    expect(attempts()).toBe(1)
  })

  it('retries 5xx, 429 and network errors until an answer is usable', async () => {
    const { attempt, attempts } = scripted([{ status: 503 }, networkError(), { status: 200 }])
    expect(await retryTransient({ policy: fast, attempt })).toEqual({ status: 200 })
    expect(attempts()).toBe(3)
  })

  it('returns the last retryable answer once the attempts are used up', async () => {
    const { attempt, attempts } = scripted([{ status: 500 }, { status: 502 }, { status: 503 }, { status: 200 }])
    expect(await retryTransient({ policy: fast, attempt })).toEqual({ status: 503 })
    expect(attempts()).toBe(3)
  })

  it('rejects with the last network error once the attempts are used up', async () => {
    const { attempt, attempts } = scripted([networkError()])
    const error = await retryTransient({ policy: fast, attempt }).catch((caught: unknown) => caught)
    expect((error as OboError).code).toBe('NETWORK_ERROR')
    expect(attempts()).toBe(3)
  })

  it('does not retry other errors (a timeout used the deadline, an abort is final)', async () => {
    for (const code of ['TIMEOUT', 'ABORTED', 'INVALID_RESPONSE'] as const) {
      const { attempt, attempts } = scripted([new OboError('x', { code })])
      const error = await retryTransient({ policy: fast, attempt }).catch((caught: unknown) => caught)
      expect((error as OboError).code).toBe(code)
      expect(attempts()).toBe(1)
    }
  })

  it('ends at once with the answer when its Retry-After would end past the deadline', async () => {
    const { attempt, attempts } = scripted([{ status: 429, retryAfterMs: 60_000 }, { status: 200 }])
    const started = Date.now()
    expect(await retryTransient({ policy: fast, attempt })).toEqual({ status: 429, retryAfterMs: 60_000 })
    expect(attempts()).toBe(1)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('honours a Retry-After that fits in the deadline', async () => {
    const { attempt, attempts } = scripted([{ status: 429, retryAfterMs: 30 }, { status: 200 }])
    const started = Date.now()
    expect(await retryTransient({ policy: fast, attempt })).toEqual({ status: 200 })
    expect(attempts()).toBe(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })

  it('passes every attempt the same deadline', async () => {
    const deadlines: number[] = []
    const before = Date.now()
    await retryTransient({
      policy: fast,
      attempt: (deadlineAt) => {
        deadlines.push(deadlineAt)
        return Promise.resolve({ status: deadlines.length < 2 ? 500 : 200 })
      },
    })
    expect(new Set(deadlines).size).toBe(1)
    expect(deadlines[0]).toBeGreaterThanOrEqual(before + fast.deadlineMs)
  })

  it('rejects with ABORTED when the signal fires during a backoff wait', async () => {
    const controller = new AbortController()
    const { attempt, attempts } = scripted([{ status: 503, retryAfterMs: 1_000 }])
    const pending = retryTransient({ policy: fast, signal: controller.signal, attempt })
    setTimeout(() => controller.abort(), 10)
    const error = await pending.catch((caught: unknown) => caught)
    expect((error as OboError).code).toBe('ABORTED')
    expect(attempts()).toBe(1)
  })
})
