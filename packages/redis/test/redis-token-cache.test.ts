import { randomBytes } from 'node:crypto'
import { estimateEntryBytes } from '@onbehalf/core'
import { sha256Base64Url } from '@onbehalf/core/engine'
import type { CachedToken, TokenCacheContext } from '@onbehalf/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTokenCodec } from '../src/codec.ts'
import { createRedisTokenCache, fromIoredis } from '../src/index.ts'
import type { RedisCacheEvent, RedisTokenCacheOptions } from '../src/index.ts'
import { clientKinds, inspector } from '@onbehalf/test-kit/redis-clients'
import type { TestClient } from '@onbehalf/test-kit/redis-clients'
import { startRedisServer } from '@onbehalf/test-kit/redis-server'
import type { RedisServer } from '@onbehalf/test-kit/redis-server'

const k1 = { id: 'k1', key: new Uint8Array(randomBytes(32)) }
const k2 = { id: 'k2', key: new Uint8Array(randomBytes(32)) }

function token(overrides: Partial<CachedToken> = {}): CachedToken {
  return {
    accessToken: `eyJ.access.${randomBytes(24).toString('hex')}`,
    tokenType: 'Bearer',
    expiresAt: Date.now() + 3_600_000,
    refreshToken: `refresh-${randomBytes(24).toString('hex')}`,
    refreshAt: Date.now() + 1_800_000,
    ...overrides,
  }
}

// Core's keys: base64url SHA-256.
const newKey = (): string => sha256Base64Url(randomBytes(16).toString('hex'))
const userContext = (): TokenCacheContext => ({
  tenantId: 'contoso',
  userAssertion: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ oid: randomBytes(8).toString('hex') })).toString('base64url')}.sig`,
})
/** The entry id inside a key name: what a value's authenticated data binds it to. */
const idOf = (name: string): string => name.slice(name.indexOf('{') + 1, name.lastIndexOf('}'))

let server: RedisServer
let raw: Redis

beforeAll(async () => {
  server = await startRedisServer()
  raw = inspector(server.port)
})

afterAll(async () => {
  raw.disconnect()
  await server.stop()
})

describe.each(clientKinds)('with %s', (kind, connect) => {
  let client: TestClient
  let events: RedisCacheEvent[]
  const prefix = `test:${kind}:`

  beforeAll(async () => {
    client = await connect(server.port)
  })
  afterAll(async () => {
    await client.close()
  })
  beforeEach(() => {
    events = []
  })

  function cache(options: Partial<RedisTokenCacheOptions> = {}): ReturnType<typeof createRedisTokenCache> {
    return createRedisTokenCache({
      redis: client.client,
      keys: [k1],
      keyPrefix: prefix,
      timeoutMs: 1_000,
      onEvent: (event) => events.push(event),
      ...options,
    })
  }

  it('round-trips through Redis: another instance gets an L2 hit, then L1 hits', async () => {
    const writer = cache()
    const reader = cache()
    const key = newKey()
    const value = token()
    await writer.set(key, value, 3_600_000)
    expect(writer.stats().writes).toBe(1)

    const first = reader.get(key)
    expect(first).toBeInstanceOf(Promise)
    expect(await first).toEqual(value)
    expect(reader.stats()).toMatchObject({ l2Hits: 1, l1Hits: 0 })
    // The L2 hit filled L1: the next read answers synchronously without Redis.
    expect(reader.get(key)).toEqual(value)
    expect(reader.stats()).toMatchObject({ l2Hits: 1, l1Hits: 1 })
    // L1 is bounded in bytes too, and reports what it holds.
    expect(reader.stats()).toMatchObject({ l1Size: 1, l1Bytes: estimateEntryBytes(key, value) })
    expect(events.map((event) => event.type)).toEqual(['write', 'l2-hit', 'l1-hit'])
  })

  it('answers a miss for an absent key and shares one Redis read among concurrent misses', async () => {
    const reader = cache()
    const key = newKey()
    const reads = await Promise.all([reader.get(key), reader.get(key), reader.get(key)])
    expect(reads).toEqual([undefined, undefined, undefined])
    expect(reader.stats().l2Misses).toBe(1)
  })

  it('sets the Redis TTL from the token expiry, never longer', async () => {
    const writer = cache()
    const longLived = newKey()
    const expiresAt = Date.now() + 60_000
    await writer.set(longLived, token({ expiresAt }), 24 * 3_600_000)
    const pttl = await raw.pttl(writer.keyName(longLived))
    expect(pttl).toBeGreaterThan(50_000)
    expect(pttl).toBeLessThanOrEqual(60_000)

    const shorter = newKey()
    await writer.set(shorter, token(), 5_000)
    const shortPttl = await raw.pttl(writer.keyName(shorter))
    expect(shortPttl).toBeGreaterThan(0)
    expect(shortPttl).toBeLessThanOrEqual(5_000)

    const expired = newKey()
    await writer.set(expired, token({ expiresAt: Date.now() - 1 }), 5_000)
    expect(await raw.exists(writer.keyName(expired))).toBe(0)
    expect(writer.get(expired)).toBeInstanceOf(Promise)
  })

  it('stores only ciphertext under hash-only key names', async () => {
    const writer = cache()
    const key = newKey()
    const value = token()
    await writer.set(key, value, 3_600_000)
    // A key that is not a hash is hashed before it becomes a name.
    await writer.set('user@example.com|api://x/.default', token(), 3_600_000)

    const names = await raw.keys(`${prefix}*`)
    expect(names.length).toBeGreaterThanOrEqual(2)
    // Core's key is used as is (not hashed twice), inside a Redis Cluster hash tag.
    expect(names).toContain(`${prefix}{${key}}`)
    for (const name of names) expect(name).toMatch(new RegExp(`^${prefix}\\{[A-Za-z0-9_-]{43}\\}$`))
    expect(names.join()).not.toContain('example.com')

    const stored = await raw.get(writer.keyName(key))
    expect(stored).toMatch(/^v2\.k1\.[0-9a-z]+\.[A-Za-z0-9_-]+$/)
    for (const secret of [value.accessToken, value.refreshToken as string, 'refresh-', 'eyJ.access', 'Bearer']) {
      expect(stored).not.toContain(secret)
      expect(Buffer.from(stored as string, 'base64url').toString('latin1')).not.toContain(secret)
    }
  })

  it('rotates keys: old values stay readable, new writes use the first key, retired keys miss', async () => {
    const before = cache({ keys: [k1] })
    const oldKey = newKey()
    const oldValue = token()
    await before.set(oldKey, oldValue, 3_600_000)

    const rotated = cache({ keys: [k2, k1] })
    expect(await rotated.get(oldKey)).toEqual(oldValue)
    expect(events.find((event) => event.type === 'l2-hit')?.kid).toBe('k1')

    const newKeyName = newKey()
    await rotated.set(newKeyName, token(), 3_600_000)
    expect(await raw.get(rotated.keyName(newKeyName))).toMatch(/^v2\.k2\./)

    const retired = cache({ keys: [k2] })
    expect(await retired.get(oldKey)).toBeUndefined()
    expect(events.at(-1)).toMatchObject({ type: 'decode-failed', reason: 'unknown-key-id', kid: 'k1' })
    expect(retired.stats().decodeFailures).toBe(1)
  })

  it('treats tampered, garbage, moved and wrongly keyed values as misses with an event', async () => {
    const writer = cache()
    const key = newKey()
    await writer.set(key, token(), 3_600_000)
    const name = writer.keyName(key)
    const stored = (await raw.get(name)) as string

    const flip = (text: string, at: number): string =>
      text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)
    const cases: [string, string, string][] = [
      ['ciphertext bit flipped', flip(stored, stored.length - 30), 'tampered'],
      ['tag bit flipped', flip(stored, stored.length - 2), 'tampered'],
      ['not our format', 'hello', 'malformed'],
      ['mangled base64', `${stored.slice(0, -4)}!!!!`, 'malformed'],
      ['unknown kid', stored.replace('v2.k1.', 'v2.k9.'), 'unknown-key-id'],
      [
        'wrong key under a listed id',
        createTokenCodec([{ id: 'k1', key: new Uint8Array(32) }]).encode(idOf(name), token(), { version: 1 }),
        'tampered',
      ],
    ]
    for (const [label, value, reason] of cases) {
      await raw.set(name, value, 'PX', 60_000)
      const reader = cache()
      events = []
      expect(await reader.get(key), label).toBeUndefined()
      expect(events, label).toEqual([expect.objectContaining({ type: 'decode-failed', reason })])
    }

    // A value copied from another user's entry is bound to that entry's name: it does not decrypt here.
    const other = newKey()
    await writer.set(other, token(), 3_600_000)
    await raw.set(name, (await raw.get(writer.keyName(other))) as string, 'PX', 60_000)
    events = []
    expect(await cache().get(key)).toBeUndefined()
    expect(events).toEqual([expect.objectContaining({ type: 'decode-failed', reason: 'tampered' })])

    // A wrongly typed Redis value (a list) is a read error, not a crash.
    await raw.del(name)
    await raw.rpush(name, 'x')
    events = []
    expect(await cache().get(key)).toBeUndefined()
    expect(events).toEqual([expect.objectContaining({ type: 'read-failed', reason: 'error' })])
    await raw.del(name)
  })

  it('treats an expired value still in Redis as a miss', async () => {
    const reader = cache()
    const key = newKey()
    const name = reader.keyName(key)
    const codec = createTokenCodec([k1])
    await raw.set(
      name,
      codec.encode(idOf(name), token({ expiresAt: Date.now() - 1_000 }), { version: Date.now() }),
      'PX',
      60_000,
    )
    expect(await reader.get(key)).toBeUndefined()
    expect(reader.stats()).toMatchObject({ l2Misses: 1, l2Hits: 0 })
  })

  it('deletes from both levels', async () => {
    const writer = cache()
    const key = newKey()
    await writer.set(key, token(), 3_600_000)
    await writer.delete(key)
    expect(await raw.exists(writer.keyName(key))).toBe(0)
    expect(await writer.get(key)).toBeUndefined()
    expect(writer.stats()).toMatchObject({ deletes: 1, l2Misses: 1 })
  })

  it('a read in flight never refills L1 over a newer write or a delete', async () => {
    const writer = cache()
    const reader = cache()
    const key = newKey()
    const older = token()
    const newer = token()
    await writer.set(key, older, 3_600_000)

    const reading = reader.get(key)
    const writing = reader.set(key, newer, 3_600_000)
    // Redis answered the GET with the older value; L1 must keep the newer one.
    expect(await reading).toEqual(older)
    await writing
    expect(reader.get(key)).toEqual(newer)

    const other = newKey()
    await writer.set(other, older, 3_600_000)
    const readingOther = reader.get(other)
    const deleting = reader.delete(other)
    await readingOther
    await deleting
    expect(reader.get(other)).toBeInstanceOf(Promise)
  })

  it('works without L1 and with an explicit { get, set, del } adapter', async () => {
    const key = newKey()
    const value = token()
    const viaAdapter = createRedisTokenCache({
      redis:
        client.kind === 'ioredis' ? fromIoredis(client.client as Parameters<typeof fromIoredis>[0]) : client.client,
      keys: [k1],
      keyPrefix: prefix,
      l1: false,
    })
    await viaAdapter.set(key, value, 3_600_000)
    expect(await viaAdapter.get(key)).toEqual(value)
    expect(await viaAdapter.get(key)).toEqual(value)
    expect(viaAdapter.stats()).toMatchObject({ l1Hits: 0, l2Hits: 2, l1Size: 0, l1Bytes: 0 })
  })

  it('refuses a rolled-back value: an older, still valid ciphertext of an entry it has seen replaced', async () => {
    const context = userContext()
    const first = cache({ l1: false })
    const second = cache({ l1: false })
    const key = newKey()
    const name = first.keyName(key)
    const beforeStepUp = token()
    await first.set(key, beforeStepUp, 3_600_000, context)
    expect(await second.get(key, context)).toEqual(beforeStepUp)
    const oldCiphertext = (await raw.get(name)) as string

    // A claims step-up replaces the token; then someone with write access to Redis puts the old value back.
    const afterStepUp = token()
    await first.set(key, afterStepUp, 3_600_000, context)
    expect(await second.get(key, context)).toEqual(afterStepUp)
    await raw.set(name, oldCiphertext, 'PX', 60_000)

    // Both the instance that wrote the replacement and one that read it refuse the older value.
    for (const instance of [first, second]) {
      events = []
      expect(await instance.get(key, context)).toBeUndefined()
      expect(events).toEqual([expect.objectContaining({ type: 'decode-failed', reason: 'rolled-back', kid: 'k1' })])
    }
    // The current value is still served.
    await first.set(key, afterStepUp, 3_600_000, context)
    expect(await second.get(key, context)).toEqual(afterStepUp)
  })

  it('seals L2 values per user: the configured keys and a copy of Redis reveal no token without the assertion', async () => {
    const writer = cache()
    const key = newKey()
    const context = userContext()
    const value = token()
    await writer.set(key, value, 3_600_000, context)
    const name = writer.keyName(key)
    const stored = (await raw.get(name)) as string

    // Another instance serving the same user (same assertion) reads it.
    expect(await cache().get(key, context)).toEqual(value)

    // The configured key without the assertion, or with another assertion, opens nothing.
    expect(createTokenCodec([k1]).decode(idOf(name), stored)).toEqual({ ok: false, reason: 'tampered', kid: 'k1' })
    expect(createTokenCodec([k1]).decode(idOf(name), stored, userContext().userAssertion)).toMatchObject({
      ok: false,
      reason: 'tampered',
    })
    events = []
    expect(await cache().get(key)).toBeUndefined()
    expect(events).toEqual([expect.objectContaining({ type: 'decode-failed', reason: 'tampered' })])

    // Rotation still works for sealed values: the retired key decrypts old entries, the new key writes.
    const rotated = cache({ keys: [k2, k1] })
    expect(await rotated.get(key, context)).toEqual(value)
    await rotated.set(key, value, 3_600_000, context)
    expect(await raw.get(name)).toMatch(/^v2\.k2\./)
    expect(await cache({ keys: [k2] }).get(key, context)).toEqual(value)
  })
})

describe('as the README shows it', () => {
  it('types a hand-written { get, set, del } adapter from the option itself (no annotations)', async () => {
    // This block is the README's adapter example: it compiles under `strict` only if createRedisTokenCache gives
    // the functions their parameter types (against the union of client shapes they were implicitly `any`).
    const events: RedisCacheEvent[] = []
    const viaAdapter = createRedisTokenCache({
      redis: {
        get: (key) => raw.get(key),
        set: (key, value, ttlMs) => raw.set(key, value, 'PX', ttlMs),
        del: (key) => raw.del(key),
      },
      keys: [k1],
      keyPrefix: 'test:adapter:',
      l1: false,
      onEvent: (event) => events.push(event),
    })
    const key = newKey()
    const value = token()
    await viaAdapter.set(key, value, 3_600_000)
    expect(await viaAdapter.get(key)).toEqual(value)
    expect(await raw.pttl(viaAdapter.keyName(key))).toBeGreaterThan(0)
    expect(events.filter((event) => event.type.endsWith('-failed'))).toEqual([])
  })

  it('with the recommended ioredis settings, the first commands after start wait for the connection: no failure', async () => {
    // enableOfflineQueue: false makes ioredis reject commands sent before its first connection is ready; the
    // cache is created and used at once, as an application does at startup. Before the fix, the first read was
    // a `read-failed` event (a warning in the README's logging) and a miss.
    const client = new Redis(`redis://127.0.0.1:${server.port}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    client.on('error', () => undefined)
    try {
      expect(client.status).toBe('connecting')
      const events: RedisCacheEvent[] = []
      // A generous deadline: the verdict must not depend on how fast a loaded machine connects.
      const options = { redis: client, keys: [k1], keyPrefix: 'test:startup:', l1: false, timeoutMs: 10_000 } as const
      const writer = createRedisTokenCache({ ...options, onEvent: (event) => events.push(event) })
      const reader = createRedisTokenCache({ ...options, onEvent: (event) => events.push(event) })
      const key = newKey()
      const value = token()
      const [missed] = await Promise.all([reader.get(key), writer.set(key, value, 3_600_000)])
      expect(missed).toBeUndefined()
      expect(await reader.get(key)).toEqual(value)
      expect(events.filter((event) => event.type.endsWith('-failed') || event.type === 'circuit')).toEqual([])
      expect(reader.stats()).toMatchObject({ l2Hits: 1 })
    } finally {
      client.disconnect()
    }
  })

  it('a client that never connects still fails fast: the wait ends with the failed attempt, as a miss', async () => {
    const stopped = await startRedisServer()
    const port = stopped.port
    await stopped.stop()
    const client = new Redis(`redis://127.0.0.1:${port}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 60_000,
    })
    client.on('error', () => undefined)
    try {
      const events: RedisCacheEvent[] = []
      const cache = createRedisTokenCache({
        redis: client,
        keys: [k1],
        l1: false,
        timeoutMs: 10_000,
        onEvent: (event) => events.push(event),
      })
      expect(await cache.get(newKey())).toBeUndefined()
      expect(events).toEqual([expect.objectContaining({ type: 'read-failed', reason: 'error' })])
    } finally {
      client.disconnect()
    }
  })
})
