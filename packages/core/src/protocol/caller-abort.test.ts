import { describe, expect, it } from 'vitest'
import { OboError } from '../errors.ts'
import { rejection } from '../../test/error-code.ts'
import { abortableDelay, abortedError, raceAbort } from './caller-abort.ts'

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).code
}

describe('abortedError', () => {
  it('is ABORTED with the reason as cause', () => {
    const controller = new AbortController()
    const reason = new Error('user left')
    controller.abort(reason)
    const error = abortedError(controller.signal)
    expect(error.code).toBe('ABORTED')
    expect(error.cause).toBe(reason)
  })
})

describe('raceAbort', () => {
  it('settles like the work when there is no signal or it never fires', async () => {
    expect(await raceAbort(Promise.resolve(1), undefined)).toBe(1)
    expect(await raceAbort(Promise.resolve(2), new AbortController().signal)).toBe(2)
    expect(
      await codeOf(
        raceAbort(Promise.reject(new OboError('x', { code: 'NETWORK_ERROR' })), new AbortController().signal),
      ),
    ).toBe('NETWORK_ERROR')
  })

  it('rejects with ABORTED as soon as the signal fires, calling onAbort, while the work goes on', async () => {
    const controller = new AbortController()
    let release: (value: string) => void = () => undefined
    const work = new Promise<string>((resolve) => {
      release = resolve
    })
    let onAbortCalls = 0
    const raced = raceAbort(work, controller.signal, () => {
      onAbortCalls += 1
    })
    controller.abort()
    expect(await codeOf(raced)).toBe('ABORTED')
    expect(onAbortCalls).toBe(1)
    release('done')
    expect(await work).toBe('done')
  })

  it('rejects at once for an already aborted signal', async () => {
    let onAbortCalls = 0
    const raced = raceAbort(new Promise<never>(() => undefined), AbortSignal.abort(), () => {
      onAbortCalls += 1
    })
    expect(await codeOf(raced)).toBe('ABORTED')
    expect(onAbortCalls).toBe(1)
  })

  it('handles a later rejection of abandoned work', async () => {
    const controller = new AbortController()
    let fail: (error: Error) => void = () => undefined
    const work = new Promise<never>((_resolve, reject) => {
      fail = reject
    })
    const raced = raceAbort(work, controller.signal)
    controller.abort()
    expect(await codeOf(raced)).toBe('ABORTED')
    // An unhandled rejection here would fail the test run.
    fail(new Error('late'))
    await new Promise((resolve) => setTimeout(resolve, 10))
  })
})

describe('abortableDelay', () => {
  it('resolves after the delay', async () => {
    const started = Date.now()
    await abortableDelay(20, new AbortController().signal)
    expect(Date.now() - started).toBeGreaterThanOrEqual(15)
  })

  it('rejects with ABORTED when the signal fires during the wait, or fired before', async () => {
    const controller = new AbortController()
    const waiting = abortableDelay(60_000, controller.signal)
    controller.abort()
    expect(await codeOf(waiting)).toBe('ABORTED')
    expect(await codeOf(abortableDelay(10, AbortSignal.abort()))).toBe('ABORTED')
  })
})
