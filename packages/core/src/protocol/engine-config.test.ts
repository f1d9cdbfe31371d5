import { describe, expect, it } from 'vitest'
import { thrownCode } from '../../test/error-code.ts'
import { assertAssertionCallback, assertClientId, assertClientSecret, engineAuthorityHost } from './engine-config.ts'

describe('assertClientId', () => {
  it('accepts an ID and refuses a missing or blank one', () => {
    expect(thrownCode(() => assertClientId('00000000-0000-0000-0000-000000000001'))).toBeUndefined()
    for (const value of [undefined, '', '  ', 42]) {
      expect(thrownCode(() => assertClientId(value))).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('assertClientSecret / assertAssertionCallback', () => {
  it('accept a secret and a callback, and refuse anything else', () => {
    expect(thrownCode(() => assertClientSecret('s3cr3t'))).toBeUndefined()
    expect(thrownCode(() => assertAssertionCallback(() => 'eyJ.a.b'))).toBeUndefined()
    for (const value of ['', undefined, 42]) {
      expect(thrownCode(() => assertClientSecret(value))).toBe('INVALID_ARGUMENT')
      expect(thrownCode(() => assertAssertionCallback(value))).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('engineAuthorityHost', () => {
  it('normalises to the https origin', () => {
    expect(engineAuthorityHost('https://login.microsoftonline.com/')).toBe('https://login.microsoftonline.com')
    expect(engineAuthorityHost('https://127.0.0.1:8443')).toBe('https://127.0.0.1:8443')
  })

  it.each([
    ['not a URL', 'login.microsoftonline.com'],
    ['plain http', 'http://login.microsoftonline.com'],
    ['a path', 'https://login.microsoftonline.com/common'],
    ['a query', 'https://login.microsoftonline.com/?x=1'],
    ['user info', 'https://user:pw@login.microsoftonline.com'],
  ])('refuses %s as INVALID_AUTHORITY', (_name, value) => {
    expect(thrownCode(() => engineAuthorityHost(value))).toBe('INVALID_AUTHORITY')
  })

  it('never echoes user info in the message', () => {
    // It must throw (an assertion only inside `catch` would pass when nothing throws), and without the password.
    expect(() => engineAuthorityHost('https://user:hunter2@login.microsoftonline.com')).toThrow(
      expect.objectContaining({ code: 'INVALID_AUTHORITY', message: expect.not.stringContaining('hunter2') }),
    )
  })
})
