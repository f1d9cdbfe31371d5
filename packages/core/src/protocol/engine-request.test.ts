import { describe, expect, it } from 'vitest'
import { OboError } from '../errors.ts'
import { assertRefreshToken, assertTokenRequest, assertUserAssertion } from './engine-request.ts'

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    return error instanceof OboError ? error.code : 'not an OboError'
  }
}

const scopes = ['https://graph.microsoft.com/.default']

describe('assertTokenRequest', () => {
  it('accepts a tenant GUID or domain with scopes', () => {
    expect(codeOf(() => assertTokenRequest({ tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', scopes }))).toBeUndefined()
    expect(codeOf(() => assertTokenRequest({ tenantId: 'contoso.onmicrosoft.com', scopes }))).toBeUndefined()
  })

  it.each([
    ['a tenant with a slash', { tenantId: 'a/b', scopes }],
    ['an empty tenant', { tenantId: '', scopes }],
    ['no scopes', { tenantId: 'common', scopes: [] }],
    ['a blank scope', { tenantId: 'common', scopes: [' '] }],
    ['a scope with a space', { tenantId: 'common', scopes: ['a b'] }],
  ])('refuses %s as INVALID_ARGUMENT', (_name, request) => {
    expect(codeOf(() => assertTokenRequest(request))).toBe('INVALID_ARGUMENT')
  })
})

describe('assertUserAssertion / assertRefreshToken', () => {
  it('accept a value and refuse an empty or missing one', () => {
    expect(codeOf(() => assertUserAssertion('eyJ.a.b'))).toBeUndefined()
    expect(codeOf(() => assertRefreshToken('rt'))).toBeUndefined()
    for (const value of ['', undefined, 7]) {
      expect(codeOf(() => assertUserAssertion(value))).toBe('INVALID_ARGUMENT')
      expect(codeOf(() => assertRefreshToken(value))).toBe('INVALID_ARGUMENT')
    }
  })
})
