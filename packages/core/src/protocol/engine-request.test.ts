import { describe, expect, it } from 'vitest'
import { thrownCode } from '../../test/error-code.ts'
import { assertRefreshToken, assertTokenRequest, assertUserAssertion } from './engine-request.ts'

const scopes = ['https://graph.microsoft.com/.default']

describe('assertTokenRequest', () => {
  it('accepts a tenant GUID or domain with scopes', () => {
    expect(
      thrownCode(() => assertTokenRequest({ tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', scopes })),
    ).toBeUndefined()
    expect(thrownCode(() => assertTokenRequest({ tenantId: 'contoso.onmicrosoft.com', scopes }))).toBeUndefined()
  })

  it.each([
    ['a tenant with a slash', { tenantId: 'a/b', scopes }],
    ['an empty tenant', { tenantId: '', scopes }],
    ['no scopes', { tenantId: 'common', scopes: [] }],
    ['a blank scope', { tenantId: 'common', scopes: [' '] }],
    ['a scope with a space', { tenantId: 'common', scopes: ['a b'] }],
  ])('refuses %s as INVALID_ARGUMENT', (_name, request) => {
    expect(thrownCode(() => assertTokenRequest(request))).toBe('INVALID_ARGUMENT')
  })
})

describe('assertUserAssertion / assertRefreshToken', () => {
  it('accept a value and refuse an empty or missing one', () => {
    expect(thrownCode(() => assertUserAssertion('eyJ.a.b'))).toBeUndefined()
    expect(thrownCode(() => assertRefreshToken('rt'))).toBeUndefined()
    for (const value of ['', undefined, 7]) {
      expect(thrownCode(() => assertUserAssertion(value))).toBe('INVALID_ARGUMENT')
      expect(thrownCode(() => assertRefreshToken(value))).toBe('INVALID_ARGUMENT')
    }
  })
})
