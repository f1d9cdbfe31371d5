/**
 * The leak scanner must be able to see a leak: each test plants one the way a real leak would look and expects
 * the scanner to report it (and nothing for clean text).
 */
import { describe, expect, it } from 'vitest'
import { createLeakScanner } from './leak-scanner.ts'

const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const token = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ oid: 'a1b2c3d4', scp: 'Read' })}.c2lnbmF0dXJlLW9mLXRoaXMtdG9rZW4tb25seQ`

function answer(body: object): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
}

describe('leak scanner', () => {
  it('reports nothing in clean text', () => {
    const scanner = createLeakScanner()
    scanner.addSecret('secret', 'canary-secret-value-1')
    scanner.addToken('token', token)
    scanner.record('log', 'getToken succeeded for tenant contoso (scopes api://x/.default)')
    expect(scanner.leaks()).toEqual([])
  })

  it('sees a token issued during the call that leaks it (watched fetch registers it first)', async () => {
    const scanner = createLeakScanner()
    const fetch = scanner.watch(async () => answer({ access_token: token, token_type: 'Bearer', expires_in: 3600 }))
    const response = await fetch('https://127.0.0.1/token', { method: 'POST' })
    // The engine has not even read the body yet, and the token is a canary already.
    scanner.record('log', `engine debug: answer ${await response.text()}`)
    expect(scanner.watchedTokens).toBe(1)
    expect(scanner.leaks().map((leak) => leak.canary)).toContain('issued access_token')
  })

  it('passes the answer through unchanged', async () => {
    const scanner = createLeakScanner()
    const fetch = scanner.watch(async () => answer({ access_token: token, refresh_in: 60 }))
    const response = await fetch('https://127.0.0.1/token')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ access_token: token, refresh_in: 60 })
  })

  it.each([
    ['glued to _ (whole token)', `key_${token}_suffix`],
    ['signature glued to _', `key_${token.split('.')[2]!}_suffix`],
    ['payload glued to letters', `Bearer${token.split('.')[1]!}x`],
    ['payload glued to _', `abc_${token.split('.')[1]!}_def`],
  ])('finds a token %s', (_name, text) => {
    const scanner = createLeakScanner()
    scanner.addToken('token', token)
    scanner.record('log', text)
    expect(scanner.leaks().length).toBeGreaterThanOrEqual(1)
  })

  it.each([0, 1, 2])('finds a base64 and base64url-encoded token inside a larger encoded text (offset %i)', (pad) => {
    const scanner = createLeakScanner()
    scanner.addToken('token', token)
    const wrapped = `${'x'.repeat(pad)}{"t":"${token}"}`
    scanner.record('log', Buffer.from(wrapped).toString('base64'))
    scanner.record('log', Buffer.from(wrapped).toString('base64url'))
    expect(scanner.leaks().length).toBeGreaterThanOrEqual(2)
  })

  it('finds a secret as given, URL-encoded and base64-encoded (Basic auth)', () => {
    const scanner = createLeakScanner()
    scanner.addSecret('secret', 'canary secret/value+1')
    scanner.record('a', 'x=canary secret/value+1')
    scanner.record('b', `client_secret=${encodeURIComponent('canary secret/value+1')}`)
    scanner.record('c', `Authorization: Basic ${Buffer.from('client-id:canary secret/value+1').toString('base64')}`)
    expect(scanner.leaks().map((leak) => leak.source)).toEqual(['a', 'b', 'c'])
  })
})
