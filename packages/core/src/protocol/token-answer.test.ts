import { describe, expect, it } from 'vitest'
import { OAuthError, OboError } from '../errors.ts'
import { InvalidResponseError } from './invalid-response-error.ts'
import { checkTokenAnswer, parseSeconds, tokenResultFromBody } from './token-answer.ts'

const good = { token_type: 'Bearer', access_token: 'at-secret-value', expires_in: 3599 }

function failure(run: () => unknown): OboError {
  try {
    run()
  } catch (error) {
    if (error instanceof OboError) return error
    throw error
  }
  throw new Error('expected an error')
}

describe('checkTokenAnswer', () => {
  it('returns a usable body', () => {
    expect(checkTokenAnswer({ status: 200, body: good })).toBe(good)
  })

  it('makes an Entra error body an OAuthError with every field, on any status', () => {
    const body = {
      error: 'invalid_grant',
      error_description: 'AADSTS50076: MFA',
      error_codes: [50076],
      claims: '{"x":1}',
    }
    for (const status of [400, 200]) {
      const error = failure(() => checkTokenAnswer({ status, body, retryAfterMs: 5000 }))
      expect(error).toBeInstanceOf(OAuthError)
      expect((error as OAuthError).errorCodes).toEqual([50076])
      expect((error as OAuthError).claims).toBe('{"x":1}')
    }
  })

  it('keeps the meaning of a 429 or 5xx without a JSON body, with its Retry-After', () => {
    const throttled = failure(() => checkTokenAnswer({ status: 429, body: undefined, retryAfterMs: 7000 }))
    expect(throttled.code).toBe('THROTTLED')
    expect((throttled as OAuthError).retryAfterMs).toBe(7000)
    expect(failure(() => checkTokenAnswer({ status: 503, body: undefined })).code).toBe('SERVER_ERROR')
  })

  it('refuses a non-JSON answer on any other status as INVALID_RESPONSE with the status', () => {
    for (const status of [200, 400]) {
      const error = failure(() => checkTokenAnswer({ status, body: undefined }))
      expect(error).toBeInstanceOf(InvalidResponseError)
      expect((error as InvalidResponseError).status).toBe(status)
    }
  })

  it.each([
    ['no access_token', { token_type: 'Bearer', expires_in: 3600 }],
    ['an empty access_token', { access_token: '', expires_in: 3600 }],
    ['no expires_in', { access_token: 'x' }],
    ['a null expires_in', { access_token: 'x', expires_in: null }],
    ['a zero expires_in', { access_token: 'x', expires_in: 0 }],
    ['a non-numeric expires_in', { access_token: 'x', expires_in: 'soon' }],
    ['a negative expires_in', { access_token: 'x', expires_in: -5 }],
    ['a malformed ext_expires_in', { access_token: 'x', expires_in: 5, ext_expires_in: true }],
    ['a malformed refresh_in', { access_token: 'x', expires_in: 5, refresh_in: '1e3x' }],
    ['a non-string scope', { access_token: 'x', expires_in: 5, scope: ['a'] }],
    ['a non-string refresh_token', { access_token: 'x', expires_in: 5, refresh_token: 1 }],
    ['an empty token_type', { access_token: 'x', expires_in: 5, token_type: '' }],
  ])('refuses a success with %s as INVALID_RESPONSE, never echoing the token', (_name, body) => {
    const error = failure(() => checkTokenAnswer({ status: 200, body }))
    expect(error).toBeInstanceOf(InvalidResponseError)
    expect((error as InvalidResponseError).status).toBe(200)
    expect(error.message).not.toContain('"x"')
  })
})

describe('tokenResultFromBody', () => {
  const sentAt = 1_000_000

  it('counts expiry and refresh from the send time, with the server scopes and refresh token', () => {
    const body = {
      ...good,
      expires_in: '3600',
      refresh_in: 1800,
      scope: ' api://a/Read  api://a/Write ',
      refresh_token: 'rt',
    }
    expect(tokenResultFromBody(body, { requestedScopes: ['api://a/.default'], sentAt })).toEqual({
      accessToken: 'at-secret-value',
      tokenType: 'Bearer',
      scopes: ['api://a/Read', 'api://a/Write'],
      expiresAt: sentAt + 3_600_000,
      refreshAt: sentAt + 1_800_000,
      refreshToken: 'rt',
    })
  })

  it('ignores a refresh_in at or past expiry (an absurd one never becomes Infinity)', () => {
    for (const refresh_in of [60, 61, 1.7976931348623157e308]) {
      const result = tokenResultFromBody(
        { access_token: 'a', expires_in: 60, refresh_in },
        { requestedScopes: ['s'], sentAt },
      )
      expect(result.refreshAt).toBeUndefined()
      expect(result.expiresAt).toBe(sentAt + 60_000)
    }
  })

  it('falls back to the requested scopes and Bearer, and leaves out absent optional fields', () => {
    const result = tokenResultFromBody(
      { access_token: 'a', expires_in: 60, scope: ' ' },
      { requestedScopes: ['s'], sentAt },
    )
    expect(result).toEqual({ accessToken: 'a', tokenType: 'Bearer', scopes: ['s'], expiresAt: sentAt + 60_000 })
    expect('refreshAt' in result || 'refreshToken' in result).toBe(false)
  })
})

describe('parseSeconds', () => {
  it('reads numbers and numeric strings, refusing anything else', () => {
    expect(parseSeconds(3599)).toBe(3599)
    expect(parseSeconds(' 3599 ')).toBe(3599)
    expect(parseSeconds('1.5')).toBe(1.5)
    for (const value of [-1, '-1', '1e3', 'soon', '', null, undefined, true, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(parseSeconds(value)).toBeUndefined()
    }
  })
})
