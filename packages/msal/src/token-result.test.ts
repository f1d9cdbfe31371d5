import { describe, expect, it } from 'vitest'
import { OboError } from '@onbehalf/core'
import { toTokenResult } from './token-result.ts'

const sentAt = 1_700_000_000_000
const raw = (body: Record<string, unknown>) => ({ status: 200, headers: {}, body, sentAt })

describe('toTokenResult', () => {
  it('times the token from when the request was sent, with the server scope and refresh_in', () => {
    const result = toTokenResult(
      raw({
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: '3600',
        refresh_in: 1800,
        scope: 'api://d/Read api://d/Write',
      }),
      null,
      ['api://d/.default'],
    )
    expect(result).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      scopes: ['api://d/Read', 'api://d/Write'],
      expiresAt: sentAt + 3_600_000,
      refreshAt: sentAt + 1_800_000,
    })
  })

  it('hands on the refresh token only when offline_access was requested', () => {
    const body = { access_token: 'at', expires_in: 60, refresh_token: 'rt' }
    expect(toTokenResult(raw(body), null, ['api://d/.default']).refreshToken).toBeUndefined()
    expect(toTokenResult(raw(body), null, ['api://d/.default', 'OFFLINE_ACCESS']).refreshToken).toBe('rt')
    expect(toTokenResult(raw(body), null, ['api://d/.default']).scopes).toEqual(['api://d/.default'])
  })

  it('refuses a result that did not come through the network client', () => {
    expect(() => toTokenResult(undefined, null, ['s'])).toThrow(OboError)
  })
})
