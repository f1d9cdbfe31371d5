import { describe, expect, it } from 'vitest'
import { rejection as failure } from '../../test/error-code.ts'
import { callClientAssertion } from './client-assertion-callback.ts'

describe('callClientAssertion', () => {
  it('returns what a sync or async callback returns', async () => {
    expect(await callClientAssertion(() => 'eyJ.a.b')).toBe('eyJ.a.b')
    expect(await callClientAssertion(() => Promise.resolve('eyJ.c.d'))).toBe('eyJ.c.d')
  })

  it('makes a throwing callback CLIENT_ASSERTION_FAILED with the error as cause', async () => {
    const cause = new Error('token file missing')
    const error = await failure(
      callClientAssertion(() => {
        throw cause
      }),
    )
    expect(error.code).toBe('CLIENT_ASSERTION_FAILED')
    expect(error.cause).toBe(cause)
    expect(await failure(callClientAssertion(() => Promise.reject(cause)))).toMatchObject({
      code: 'CLIENT_ASSERTION_FAILED',
    })
  })

  it.each([
    ['an empty string', ''],
    ['blanks', '   '],
    ['undefined', undefined],
    ['a number', 42],
  ])('refuses %s as CLIENT_ASSERTION_FAILED', async (_name, value) => {
    const error = await failure(callClientAssertion(() => value as unknown as string))
    expect(error.code).toBe('CLIENT_ASSERTION_FAILED')
  })
})
