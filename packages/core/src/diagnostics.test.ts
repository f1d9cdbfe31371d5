import { channel } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeEngine } from '../test/fake-engine.ts'
import * as portable from './diagnostics-channel-web.ts'
import {
  oboDiagnostics,
  oboDiagnosticsChannelName,
  subscribeOboDiagnostics,
  type OboDiagnostic,
} from './diagnostics.ts'
import { OAuthError } from './errors.ts'
import { createMemoryTokenCache } from './memory-cache.ts'
import { createTokenProvider } from './token-provider.ts'

const scopes = ['api://downstream/.default']
const stops: (() => void)[] = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

function listen(): OboDiagnostic[] {
  const events: OboDiagnostic[] = []
  stops.push(subscribeOboDiagnostics((event) => events.push(event)))
  return events
}

describe('process-wide diagnostics', () => {
  it('is node:diagnostics_channel on Node: a plain subscriber there sees what the API sees', async () => {
    const seen: unknown[] = []
    const onMessage = (message: unknown): void => void seen.push(message)
    channel(oboDiagnosticsChannelName).subscribe(onMessage)
    try {
      expect(oboDiagnostics.hasSubscribers).toBe(true)
      const provider = createTokenProvider({ engine: createFakeEngine(), cache: createMemoryTokenCache() })
      await provider.getToken({ tenantId: 't', userAssertion: 'u', scopes })
      expect(seen.map((event) => (event as OboDiagnostic).type)).toEqual([
        'acquisition',
        'token-request-start',
        'token-request-end',
      ])
    } finally {
      channel(oboDiagnosticsChannelName).unsubscribe(onMessage)
    }
    expect(oboDiagnostics.hasSubscribers).toBe(false)
  })

  it('a miss, a coalesced wait and a hit, with the token request paired by id and timed', async () => {
    const events = listen()
    const engine = createFakeEngine()
    const provider = createTokenProvider({ engine, cache: createMemoryTokenCache() })
    const request = { tenantId: 'tenant-a', userAssertion: 'user-1', scopes }
    await Promise.all([provider.getToken(request), provider.getToken(request)])
    await provider.getToken(request)

    const acquisitions = events.filter((event) => event.type === 'acquisition')
    expect(acquisitions.map((event) => [event.outcome, event.source])).toEqual([
      ['miss', 'identity-provider'],
      ['coalesced', 'identity-provider'],
      ['hit', 'l1'],
    ])
    const start = events.find((event) => event.type === 'token-request-start')
    const end = events.find((event) => event.type === 'token-request-end')
    expect(start).toMatchObject({
      reason: 'no-cached-token',
      grant: 'on-behalf-of',
      engine: 'fake',
      tenantId: 'tenant-a',
    })
    expect(end).toMatchObject({ id: start?.id, outcome: 'success' })
    expect(end?.type === 'token-request-end' && end.durationMs >= 0).toBe(true)
    // Names and codes only: the assertion and the token appear nowhere.
    expect(JSON.stringify(events)).not.toContain('user-1')
    expect(JSON.stringify(events)).not.toContain('token:')
  })

  it("a failed token request carries our code and Entra's AADSTS code and status", async () => {
    const events = listen()
    const engine = createFakeEngine()
    engine.behaviour = () =>
      Promise.reject(
        new OAuthError({ status: 400, error: 'invalid_grant', errorCodes: [50076], errorDescription: 'x' }),
      )
    const provider = createTokenProvider({ engine, cache: createMemoryTokenCache() })
    await expect(provider.getToken({ tenantId: 't', userAssertion: 'u', scopes })).rejects.toBeInstanceOf(OAuthError)
    const end = events.find((event) => event.type === 'token-request-end')
    expect(end).toMatchObject({ outcome: 'failure', stsErrorCode: 50076, httpStatus: 400 })
    expect(end?.type === 'token-request-end' && typeof end.errorCode).toBe('string')
  })

  it("a subscriber's exception never breaks token acquisition, and unsubscribing stops delivery", async () => {
    stops.push(
      subscribeOboDiagnostics(() => {
        throw new Error('listener bug')
      }),
    )
    const events = listen()
    const provider = createTokenProvider({ engine: createFakeEngine(), cache: createMemoryTokenCache() })
    await expect(provider.getToken({ tenantId: 't', userAssertion: 'u', scopes })).resolves.toMatchObject({
      tokenType: 'Bearer',
    })
    expect(events.length).toBe(3)
    for (const stop of stops.splice(0)) stop()
    expect(oboDiagnostics.hasSubscribers).toBe(false)
    await provider.getToken({ tenantId: 't', userAssertion: 'u', scopes })
    expect(events.length).toBe(3)
  })
})

describe('the portable channel (runtimes without node:diagnostics_channel)', () => {
  it('delivers to every subscriber of the name, isolates a throwing one, and reports hasSubscribers', () => {
    const name = 'onbehalf:test-portable'
    const ch = portable.openChannel(name)
    expect(ch.hasSubscribers).toBe(false)
    const seen: unknown[] = []
    const bad = (): void => {
      throw new Error('bug')
    }
    const good = (message: unknown): void => void seen.push(message)
    portable.subscribeChannel(name, bad)
    portable.subscribeChannel(name, good)
    expect(ch.hasSubscribers).toBe(true)
    // Another copy of the module finds the same channel through globalThis.
    expect(portable.openChannel(name)).toBe(ch)
    ch.publish({ n: 1 })
    expect(seen).toEqual([{ n: 1 }])
    portable.unsubscribeChannel(name, bad)
    portable.unsubscribeChannel(name, good)
    expect(ch.hasSubscribers).toBe(false)
  })
})
