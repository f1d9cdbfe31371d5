import { AzureLogger, setLogLevel } from '@azure/logger'
import { createMemoryTokenCache, InvalidResponseError, OAuthError, OboError } from '@onbehalf/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deferred } from '@onbehalf/test-kit/deferred'
import { createFakeEngine } from '@onbehalf/test-kit/fake-engine'
import { AuthenticationError, CredentialUnavailableError } from './errors.ts'
import { createOnBehalfOf, OnBehalfOfCredential } from './on-behalf-of-credential.ts'

const tenantId = 'c878a2ab-8ef4-413b-83a0-199afb84d7fb'
const otherTenant = '0d3f1a4e-1111-4222-8333-444455556666'
const clientId = '2a1e7c0d-0000-4000-8000-000000000001'
const scope = 'api://downstream/.default'
const secret = 'middle-tier-secret-value'

function userAssertion(user: string, expiresInSeconds = 3600): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ sub: user, exp })}.c2lnbmF0dXJl`
}

function setup(extra: Record<string, unknown> = {}) {
  const fake = createFakeEngine()
  const cache = createMemoryTokenCache()
  const alice = userAssertion('alice')
  const make = (assertion = alice, more: Record<string, unknown> = {}): OnBehalfOfCredential =>
    new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion: assertion,
      clientSecret: secret,
      engine: fake.factory,
      cache,
      ...extra,
      ...more,
    })
  return { fake, cache, make }
}

afterEach(() => {
  vi.unstubAllEnvs()
  vi.useRealTimers()
  setLogLevel()
})

describe('OnBehalfOfCredential.getToken', () => {
  it('returns an AccessToken with epoch-ms times and a Bearer type', async () => {
    const { fake, make } = setup()
    const before = Date.now()
    const token = await make().getToken(scope)
    expect(token.token).toBe(`access-token-1-${tenantId}`)
    expect(token.tokenType).toBe('Bearer')
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(before + 3_600_000)
    expect(token.refreshAfterTimestamp).toBe(token.expiresOnTimestamp - 300_000)
    expect(fake.exchanges[0]).toMatchObject({ tenantId, scopes: [scope] })
    expect(fake.configs[0]).toMatchObject({
      clientId,
      authorityHost: 'https://login.microsoftonline.com',
      credential: { kind: 'secret', secret },
    })
  })

  it("uses the server's refresh_in time when it comes first", async () => {
    const { fake, make } = setup()
    const refreshAt = Date.now() + 60_000
    fake.respond = (request) => ({
      accessToken: 'a',
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 3_600_000,
      refreshAt,
    })
    expect((await make().getToken([scope])).refreshAfterTimestamp).toBe(refreshAt)
  })

  it.each([[[]], [''], [['a b']]])('rejects the scopes %j with a TypeError', async (scopes) => {
    const { fake, make } = setup()
    await expect(make().getToken(scopes as string[])).rejects.toThrow(TypeError)
    expect(fake.exchanges).toHaveLength(0)
  })

  it('forwards neither tenantId nor claims as anything but the resolved request fields', async () => {
    const { fake, make } = setup({ additionallyAllowedTenants: ['*'] })
    await make().getToken(scope, {
      tenantId: otherTenant,
      claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
    })
    expect(fake.exchanges[0]).toMatchObject({
      tenantId: otherTenant,
      claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
    })
  })
})

describe('per-request credentials share one engine and one cache', () => {
  it('1,000 credentials for the same user make one token request and create one engine', async () => {
    const { fake, make } = setup()
    const assertion = userAssertion('alice')
    const created = OnBehalfOfCredential.stats().enginesCreated
    const tokens = []
    for (let i = 0; i < 1000; i++) tokens.push(await make(assertion).getToken(scope))
    expect(fake.exchanges).toHaveLength(1)
    expect(fake.configs).toHaveLength(1)
    expect(OnBehalfOfCredential.stats().enginesCreated - created).toBe(1)
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1)
  })

  it('1,000 concurrent getToken on fresh credentials for one user make one token request', async () => {
    const { fake, make } = setup()
    const gate = deferred<void>()
    const respond = fake.respond
    fake.respond = async (request, call) => {
      await gate.promise
      return respond(request, call)
    }
    const assertion = userAssertion('bob')
    const pending = Array.from({ length: 1000 }, () => make(assertion).getToken(scope))
    gate.resolve()
    const tokens = await Promise.all(pending)
    expect(fake.exchanges).toHaveLength(1)
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set([`access-token-1-${tenantId}`]))
  })

  it('different users, scopes, tenants and CAE modes never share a token', async () => {
    const { fake, make } = setup({ additionallyAllowedTenants: [otherTenant] })
    const alice = make(userAssertion('alice'))
    const bob = make(userAssertion('bob'))
    const tokens = [
      await alice.getToken(scope),
      await bob.getToken(scope),
      await alice.getToken('api://other/.default'),
      await alice.getToken(scope, { tenantId: otherTenant }),
      await alice.getToken(scope, { enableCae: true }),
    ]
    expect(fake.exchanges).toHaveLength(5)
    expect(new Set(tokens.map((t) => t.token)).size).toBe(5)
    // And each is served again from its own entry.
    expect((await alice.getToken(scope, { enableCae: true })).token).toBe(tokens[4]!.token)
    expect((await alice.getToken(scope, { tenantId: otherTenant })).token).toBe(tokens[3]!.token)
    expect(fake.exchanges).toHaveLength(5)
  })

  it('a different secret, client or authority gets its own engine', () => {
    const { fake, make } = setup()
    make()
    make(undefined, { clientSecret: 'another-secret' })
    make(undefined, { authority: 'login.microsoftonline.us' })
    new OnBehalfOfCredential(tenantId, 'another-client', {
      userAssertion: 'x',
      clientSecret: secret,
      engine: fake.factory,
    })
    make()
    expect(fake.configs).toHaveLength(4)
  })

  it('a getClientAssertion defined once is shared; the callback is called once per token request', async () => {
    const fake = createFakeEngine()
    const getClientAssertion = vi.fn(() => 'client-assertion')
    const make = (): OnBehalfOfCredential =>
      new OnBehalfOfCredential(tenantId, clientId, {
        userAssertion: userAssertion('carol'),
        getClientAssertion,
        engine: fake.factory,
      })
    make()
    make()
    expect(fake.configs).toHaveLength(1)
    expect(fake.configs[0]?.credential).toEqual({ kind: 'assertion', getAssertion: getClientAssertion })
  })
})

describe('createOnBehalfOf: a configuration validated once', () => {
  it('credentialFor makes credentials that share engine and cache with the constructor', async () => {
    const fake = createFakeEngine()
    const cache = createMemoryTokenCache()
    const obo = createOnBehalfOf({ tenantId, clientId, clientSecret: secret, engine: fake.factory, cache })
    const assertion = userAssertion('dora')
    const first = await obo.credentialFor(assertion).getToken(scope)
    expect(obo.credentialFor(assertion)).toBeInstanceOf(OnBehalfOfCredential)
    expect((await obo.credentialFor(assertion).getToken(scope)).token).toBe(first.token)
    const viaConstructor = new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion: assertion,
      clientSecret: secret,
      engine: fake.factory,
      cache,
    })
    expect((await viaConstructor.getToken(scope)).token).toBe(first.token)
    expect(fake.exchanges).toHaveLength(1)
    expect(fake.configs).toHaveLength(1)
    expect(obo.stats()).toMatchObject({ hits: 2, misses: 1, engineCalls: 1 })
  })

  it('reads its options once: later changes to the object do not matter', async () => {
    const fake = createFakeEngine()
    const config = { tenantId, clientId, clientSecret: secret, engine: fake.factory, cache: createMemoryTokenCache() }
    const obo = createOnBehalfOf(config)
    config.clientSecret = 'changed'
    await obo.credentialFor(userAssertion('erin')).getToken(scope)
    expect(fake.configs[0]?.credential).toEqual({ kind: 'secret', secret })
  })

  it('refuses a bad configuration at once, naming the option, and a bad assertion per credential', () => {
    expect(() => createOnBehalfOf({ tenantId: 'bad tenant', clientId, clientSecret: secret })).toThrow(/tenantId/)
    // @ts-expect-error -- no client credential: rejected by the types, and at run time for JavaScript callers.
    expect(() => createOnBehalfOf({ tenantId, clientId })).toThrow(
      /^createOnBehalfOf: either "clientSecret", "clientCertificate", "clientCertificatePath" or "getClientAssertion" must be provided/,
    )
    const obo = createOnBehalfOf({ tenantId, clientId, clientSecret: secret, engine: createFakeEngine().factory })
    expect(() => obo.credentialFor('')).toThrow(/"userAssertion" must not be empty/)
    expect(() => obo.credentialFor(`Bearer ${userAssertion('x')}`)).toThrow(TypeError)
  })

  it('AZURE_AUTHORITY_HOST is read at construction: a change is seen by the next credential', () => {
    const fake = createFakeEngine()
    const make = (): OnBehalfOfCredential =>
      new OnBehalfOfCredential(tenantId, clientId, {
        userAssertion: userAssertion('fay'),
        clientSecret: secret,
        engine: fake.factory,
      })
    make()
    vi.stubEnv('AZURE_AUTHORITY_HOST', 'login.microsoftonline.us')
    make()
    expect(fake.configs.map((config) => config.authorityHost)).toEqual([
      'https://login.microsoftonline.com',
      'https://login.microsoftonline.us',
    ])
  })
})

describe('messages a new user meets (issue 13 item 10)', () => {
  it('refuses a user assertion with the "Bearer " prefix, telling to strip it, in both shapes', () => {
    const assertion = `Bearer ${userAssertion('gil')}`
    const engine = createFakeEngine().factory
    expect(
      () => new OnBehalfOfCredential(tenantId, clientId, { userAssertion: assertion, clientSecret: secret, engine }),
    ).toThrow(/"userAssertion" starts with "Bearer ".*strip the "Bearer " prefix/)
    expect(
      () =>
        new OnBehalfOfCredential({
          tenantId,
          clientId,
          userAssertionToken: 'bearer abc.def.ghi',
          clientSecret: secret,
          engine,
        }),
    ).toThrow(/"userAssertionToken" starts with "Bearer "/)
  })

  it('names the credential option that was given as undefined (an unset environment variable)', () => {
    const env: Record<string, string | undefined> = {}
    expect(
      () =>
        // @ts-expect-error -- a possibly undefined secret: rejected by the types, and at run time for JavaScript.
        new OnBehalfOfCredential(tenantId, clientId, {
          userAssertion: userAssertion('hal'),
          clientSecret: env['SECRET'],
        }),
    ).toThrow(/^OnBehalfOfCredential: "clientSecret" is undefined \(an unset environment variable\?\)/)
    expect(
      () =>
        new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion('hal'), certificatePath: '' }),
    ).toThrow(/"certificatePath" is empty/)
  })

  it('hints at the api://… form when Entra refuses a bare scope', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OAuthError({ status: 400, error: 'invalid_scope', errorCodes: [70011] })
    }
    const error = (await make()
      .getToken('Documents.Read')
      .catch((e: unknown) => e)) as AuthenticationError
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'INVALID_SCOPE' })
    expect(error.message).toMatch(/"api:\/\/<its client ID or App ID URI>\/Documents\.Read"/)
    const full = (await make()
      .getToken('api://downstream/Documents.Read')
      .catch((e: unknown) => e)) as AuthenticationError
    expect(full.message).not.toMatch(/api:\/\/<its client ID/)
  })

  it('getToken({ scopes }) says it expects a string or an array', async () => {
    const { make } = setup()
    await expect(make().getToken({ scopes: [scope] } as unknown as string)).rejects.toThrow(
      /expects the scopes as a string or an array of strings \(got an object\)/,
    )
  })
})

describe('tenant resolution', () => {
  it('uses the configured tenant by default and for an explicit equal tenant', async () => {
    const { fake, make } = setup()
    const credential = make()
    await credential.getToken(scope)
    await credential.getToken(scope, { tenantId })
    expect(fake.exchanges.map((r) => r.tenantId)).toEqual([tenantId])
  })

  it('refuses a tenant that is not allowed with an AuthenticationError naming both remedies', async () => {
    const { fake, make } = setup()
    const error = await make()
      .getToken(scope, { tenantId: otherTenant })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'TENANT_NOT_ALLOWED', statusCode: 0 })
    expect((error as Error).message).toContain('additionallyAllowedTenants')
    expect((error as Error).message).toContain('"*"')
    expect(fake.exchanges).toHaveLength(0)
  })

  it('allows listed tenants and any tenant with "*"', async () => {
    const listed = setup({ additionallyAllowedTenants: [otherTenant] })
    await listed.make().getToken(scope, { tenantId: otherTenant })
    await expect(listed.make().getToken(scope, { tenantId: 'third.onmicrosoft.com' })).rejects.toMatchObject({
      code: 'TENANT_NOT_ALLOWED',
    })
    const any = setup({ additionallyAllowedTenants: ['*'] })
    await any.make().getToken(scope, { tenantId: 'third.onmicrosoft.com' })
    expect(listed.fake.exchanges.map((r) => r.tenantId)).toEqual([otherTenant])
    expect(any.fake.exchanges.map((r) => r.tenantId)).toEqual(['third.onmicrosoft.com'])
  })

  it('AZURE_IDENTITY_DISABLE_MULTITENANTAUTH, read at each call, makes the configured tenant win silently', async () => {
    const { fake, make } = setup()
    const credential = make()
    vi.stubEnv('AZURE_IDENTITY_DISABLE_MULTITENANTAUTH', 'true')
    await credential.getToken(scope, { tenantId: otherTenant })
    expect(fake.exchanges.map((r) => r.tenantId)).toEqual([tenantId])
    vi.unstubAllEnvs()
    await expect(credential.getToken(scope, { tenantId: otherTenant })).rejects.toMatchObject({
      code: 'TENANT_NOT_ALLOWED',
    })
  })

  it('rejects a malformed requested tenant with a TypeError', async () => {
    const { make } = setup({ additionallyAllowedTenants: ['*'] })
    await expect(make().getToken(scope, { tenantId: 'bad tenant!' })).rejects.toThrow(TypeError)
  })
})

describe('claims and CAE', () => {
  it('enableCae declares cp1, merged with the claims of a challenge', async () => {
    const { fake, make } = setup()
    const credential = make()
    await credential.getToken(scope, { enableCae: true })
    await credential.getToken(scope, {
      enableCae: true,
      claims: '{"access_token":{"nbf":{"essential":true,"value":"1"}}}',
    })
    expect(fake.exchanges[0]?.claims).toBe('{"access_token":{"xms_cc":{"values":["cp1"]}}}')
    expect(JSON.parse(fake.exchanges[1]?.claims ?? '')).toEqual({
      access_token: { nbf: { essential: true, value: '1' }, xms_cc: { values: ['cp1'] } },
    })
  })

  it('claims bypass the cache and the new token replaces the cached one', async () => {
    const { fake, make } = setup()
    const credential = make()
    const first = await credential.getToken(scope)
    const challenged = await credential.getToken(scope, {
      claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
    })
    expect(challenged.token).not.toBe(first.token)
    expect(fake.exchanges).toHaveLength(2)
    expect((await make().getToken(scope)).token).toBe(challenged.token)
    expect(fake.exchanges).toHaveLength(2)
  })

  it('rejects claims that are not a JSON object with a TypeError naming claims', async () => {
    const { fake, make } = setup()
    await expect(make().getToken(scope, { claims: 'eyJhY2Nlc3NfdG9rZW4iOnt9fQ==' })).rejects.toThrow(/"claims"/)
    await expect(make().getToken(scope, { claims: '[1]' })).rejects.toThrow(TypeError)
    expect(fake.exchanges).toHaveLength(0)
  })
})

describe('abort and timeout', () => {
  it('rejects at once with an AbortError for an already aborted signal, even on a cache hit', async () => {
    const { fake, make } = setup()
    await make().getToken(scope)
    const error = await make()
      .getToken(scope, { abortSignal: AbortSignal.abort() })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORTED' })
    expect(fake.exchanges).toHaveLength(1)
  })

  it('stops waiting when the signal fires; another caller of the same flight still gets its token', async () => {
    const { fake, make } = setup()
    const gate = deferred<void>()
    const respond = fake.respond
    fake.respond = async (request, call) => {
      await gate.promise
      return respond(request, call)
    }
    const controller = new AbortController()
    const aborted = make().getToken(scope, { abortSignal: controller.signal })
    const patient = make().getToken(scope)
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    gate.resolve()
    await expect(patient).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(fake.exchanges).toHaveLength(1)
  })

  it('follows an AbortSignalLike that is not a DOM AbortSignal', async () => {
    const { fake, make } = setup()
    fake.respond = () => new Promise(() => undefined)
    const listeners: ((event: unknown) => void)[] = []
    const like = {
      aborted: false,
      addEventListener: (_: 'abort', listener: (event: unknown) => void): void => {
        listeners.push(listener)
      },
      removeEventListener: (): void => undefined,
    }
    const pending = make().getToken(scope, { abortSignal: like })
    like.aborted = true
    for (const listener of listeners) listener({})
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('a cache hit with abortSignal + timeout calls no AbortSignal.any/timeout and leaves no listener', async () => {
    const { fake, make } = setup()
    await make().getToken(scope)
    let outstanding = 0
    let added = 0
    const like = {
      aborted: false,
      addEventListener: (): void => {
        outstanding++
        added++
      },
      removeEventListener: (): void => {
        outstanding--
      },
    }
    const any = vi.spyOn(AbortSignal, 'any')
    const timeout = vi.spyOn(AbortSignal, 'timeout')
    try {
      const native = new AbortController().signal
      for (let i = 0; i < 10_000; i++) {
        await make().getToken(scope, { abortSignal: like, requestOptions: { timeout: 60_000 } })
        await make().getToken(scope, { abortSignal: native, requestOptions: { timeout: 60_000 } })
      }
      expect(any).not.toHaveBeenCalled()
      expect(timeout).not.toHaveBeenCalled()
    } finally {
      any.mockRestore()
      timeout.mockRestore()
    }
    expect(outstanding).toBe(0)
    expect(added).toBe(0)
    expect(fake.exchanges).toHaveLength(1)
  })

  it('an AbortSignalLike that waited for a token request has its listener removed afterwards', async () => {
    const { make } = setup()
    let outstanding = 0
    const like = {
      aborted: false,
      addEventListener: (): void => {
        outstanding++
      },
      removeEventListener: (): void => {
        outstanding--
      },
    }
    await make().getToken(scope, { abortSignal: like, requestOptions: { timeout: 60_000 } })
    expect(outstanding).toBe(0)
  })

  it('requestOptions.timeout fails with an AuthenticationError of code TIMEOUT', async () => {
    const { fake, make } = setup()
    fake.respond = () => new Promise(() => undefined)
    await expect(make().getToken(scope, { requestOptions: { timeout: 20 } })).rejects.toMatchObject({
      name: 'AuthenticationError',
      code: 'TIMEOUT',
    })
  })
})

describe('close', () => {
  it('after close(), getToken fails with CredentialUnavailableError; other credentials keep working', async () => {
    const { fake, make } = setup()
    const closed = make()
    await closed.close()
    await closed.close()
    const error = await closed.getToken(scope).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CredentialUnavailableError)
    expect(error).toMatchObject({ name: 'CredentialUnavailableError', code: 'CLOSED' })
    await expect(make().getToken(scope)).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(fake.exchanges).toHaveLength(1)
  })

  it('await using closes the credential at the end of its scope', async () => {
    const { make } = setup()
    let escaped: OnBehalfOfCredential | undefined
    {
      await using credential = make()
      await credential.getToken(scope)
      escaped = credential
    }
    await expect(escaped.getToken(scope)).rejects.toMatchObject({ name: 'CredentialUnavailableError', code: 'CLOSED' })
  })

  it('Symbol.asyncDispose closes the credential', async () => {
    const { make } = setup()
    const credential = make()
    await credential[Symbol.asyncDispose]()
    await expect(credential.getToken(scope)).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe('error mapping', () => {
  const mfaClaims = '{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}'

  it('an unusable answer keeps the HTTP status it came with (statusCode 0 only when nothing answered)', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new InvalidResponseError('The answer is larger than 1048576 bytes and was refused', 413)
    }
    const unusable = (await make()
      .getToken(scope)
      .catch((e: unknown) => e)) as AuthenticationError
    expect(unusable).toMatchObject({ name: 'AuthenticationError', code: 'INVALID_RESPONSE', statusCode: 413 })
    fake.respond = () => {
      throw new OboError('Entra could not be reached.', { code: 'NETWORK_ERROR' })
    }
    const unreachable = (await make()
      .getToken(scope)
      .catch((e: unknown) => e)) as AuthenticationError
    expect(unreachable).toMatchObject({ code: 'NETWORK_ERROR', statusCode: 0 })
  })

  it('an MFA challenge becomes an AuthenticationError with statusCode, errorResponse, claims and a WWW-Authenticate value', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OAuthError({
        status: 400,
        error: 'interaction_required',
        errorDescription: 'AADSTS50076: Due to a configuration change made by your administrator, you must use MFA.',
        errorCodes: [50076],
        traceId: 'trace',
        correlationId: 'correlation',
        timestamp: '2026-11-26 10:00:00Z',
        suberror: 'basic_action',
        claims: mfaClaims,
      })
    }
    const error = (await make()
      .getToken(scope)
      .catch((e: unknown) => e)) as AuthenticationError
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'INTERACTION_REQUIRED',
      statusCode: 400,
      claims: mfaClaims,
    })
    expect(error.errorResponse).toEqual({
      error: 'interaction_required',
      errorDescription: 'AADSTS50076: Due to a configuration change made by your administrator, you must use MFA.',
      errorCodes: [50076],
      traceId: 'trace',
      correlationId: 'correlation',
      timestamp: '2026-11-26 10:00:00Z',
      claims: mfaClaims,
    })
    expect(error.cause).toBeInstanceOf(OAuthError)
    expect(error.toWwwAuthenticate()).toBe(
      `Bearer error="insufficient_claims", claims="${Buffer.from(mfaClaims).toString('base64')}"`,
    )
  })

  it('missing consent is INTERACTION_REQUIRED with an interaction_required challenge and no claims', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OAuthError({ status: 400, error: 'invalid_grant', suberror: 'consent_required', errorCodes: [65001] })
    }
    const error = (await make()
      .getToken(scope)
      .catch((e: unknown) => e)) as AuthenticationError
    expect(error).toMatchObject({ code: 'INTERACTION_REQUIRED', statusCode: 400, claims: undefined })
    expect(error.toWwwAuthenticate()).toBe('Bearer error="interaction_required", error_description="consent_required"')
  })

  it('an expired user assertion is INVALID_GRANT with no challenge to relay', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OAuthError({ status: 400, error: 'invalid_grant', errorCodes: [500133] })
    }
    const error = (await make()
      .getToken(scope)
      .catch((e: unknown) => e)) as AuthenticationError
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'INVALID_GRANT', statusCode: 400 })
    expect(error.toWwwAuthenticate()).toBeUndefined()
  })

  it('a network failure is an AuthenticationError with statusCode 0 and its code', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OboError('Entra could not be reached.', { code: 'NETWORK_ERROR' })
    }
    await expect(make().getToken(scope)).rejects.toMatchObject({
      name: 'AuthenticationError',
      code: 'NETWORK_ERROR',
      statusCode: 0,
      errorResponse: { error: 'network_error', errorCodes: [] },
    })
  })

  it('a failing client assertion callback makes the credential unavailable', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OboError('The client assertion callback (getAssertion) returned no assertion.', {
        code: 'CLIENT_ASSERTION_FAILED',
      })
    }
    await expect(make().getToken(scope)).rejects.toMatchObject({
      name: 'CredentialUnavailableError',
      code: 'CLIENT_ASSERTION_FAILED',
    })
  })

  it('an engine bug is an AuthenticationError of code INTERNAL_ERROR', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new RangeError('boom')
    }
    await expect(make().getToken(scope)).rejects.toMatchObject({ name: 'AuthenticationError', code: 'INTERNAL_ERROR' })
  })

  it('one user being throttled does not fail another user', async () => {
    const { fake, make } = setup()
    const throttled = userAssertion('throttled')
    fake.respond = (request, call) => {
      if (request.userAssertion === throttled) {
        throw new OAuthError({ status: 429, error: 'throttled', retryAfterMs: 60_000 })
      }
      return { accessToken: `t${call}`, tokenType: 'Bearer', scopes: request.scopes, expiresAt: Date.now() + 3_600_000 }
    }
    await expect(make(throttled).getToken(scope)).rejects.toMatchObject({
      code: 'THROTTLED',
      statusCode: 429,
      retryAfterMs: 60_000,
    })
    await expect(make(throttled).getToken(scope)).rejects.toMatchObject({ code: 'THROTTLED' })
    await expect(make(userAssertion('dave')).getToken(scope)).resolves.toMatchObject({ tokenType: 'Bearer' })
    expect(fake.exchanges).toHaveLength(2)
  })

  it('an engine that refuses the configuration fails the constructor with a TypeError', () => {
    const factory = (): never => {
      throw new OboError('clientId is required.', { code: 'INVALID_ARGUMENT' })
    }
    expect(
      () => new OnBehalfOfCredential(tenantId, clientId, { userAssertion: 'x', clientSecret: secret, engine: factory }),
    ).toThrow(TypeError)
  })
})

describe('refresh (the mixin tests of the seed)', () => {
  it('a failure without a cached token raises on every call, one request per call', async () => {
    const { fake, make } = setup()
    fake.respond = () => {
      throw new OAuthError({ status: 400, error: 'invalid_grant', errorCodes: [50013] })
    }
    for (let i = 1; i <= 4; i++) {
      await expect(make().getToken(scope)).rejects.toMatchObject({ code: 'INVALID_GRANT' })
      expect(fake.exchanges).toHaveLength(i)
    }
  })

  it('a token with more than 5 minutes left is served; with less it is refreshed', async () => {
    const { fake, make } = setup()
    vi.useFakeTimers({ toFake: ['Date'] })
    fake.respond = (request, call) => ({
      accessToken: `t${call}`,
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 600_000,
    })
    expect((await make().getToken(scope)).token).toBe('t1')
    vi.setSystemTime(Date.now() + 299_000)
    expect((await make().getToken(scope)).token).toBe('t1')
    vi.setSystemTime(Date.now() + 2_000)
    expect((await make().getToken(scope)).token).toBe('t2')
    expect(fake.exchanges).toHaveLength(2)
  })

  it('a failing proactive refresh returns the cached token, and is tried once per 30 s', async () => {
    const { fake, make } = setup()
    vi.useFakeTimers({ toFake: ['Date'] })
    fake.respond = (request) => ({
      accessToken: 'cached',
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 200_000,
    })
    await make().getToken(scope)
    fake.respond = () => {
      throw new OAuthError({ status: 503, error: 'temporarily_unavailable' })
    }
    for (let i = 0; i < 4; i++) expect((await make().getToken(scope)).token).toBe('cached')
    expect(fake.exchanges).toHaveLength(2)
    vi.setSystemTime(Date.now() + 31_000)
    expect((await make().getToken(scope)).token).toBe('cached')
    expect(fake.exchanges).toHaveLength(3)
  })

  it('an expired cached token is replaced; its refresh token is redeemed once the assertion has expired', async () => {
    const { fake, make } = setup()
    vi.useFakeTimers({ toFake: ['Date'] })
    const assertion = userAssertion('erin', 60)
    fake.respond = (request) => ({
      accessToken: 'first',
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 120_000,
      refreshToken: 'refresh-token',
    })
    expect((await make(assertion).getToken(scope)).token).toBe('first')
    vi.setSystemTime(Date.now() + 121_000)
    expect((await make(assertion).getToken(scope)).token).toBe('refreshed-1')
    expect(fake.refreshes[0]).toMatchObject({ refreshToken: 'refresh-token', tenantId, scopes: [scope] })
    expect(fake.exchanges).toHaveLength(1)
  })

  it('refreshTokenWindowMs bounds redemption from the first exchange; 0 turns it off (SPEC §12)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const respond = (request: { scopes: readonly string[] }) => ({
      accessToken: 'first',
      tokenType: 'Bearer',
      scopes: request.scopes,
      expiresAt: Date.now() + 120_000,
      refreshToken: 'refresh-token',
    })
    const bounded = setup({ refreshTokenWindowMs: 200_000 })
    bounded.fake.respond = respond
    const assertion = userAssertion('frank', 60)
    await bounded.make(assertion).getToken(scope)
    vi.setSystemTime(Date.now() + 150_000) // within the window: redeemed
    expect((await bounded.make(assertion).getToken(scope)).token).toBe('refreshed-1')
    const late = userAssertion('heidi', 60)
    await bounded.make(late).getToken(scope)
    vi.setSystemTime(Date.now() + 201_000) // past the window (the default, 24 h, would redeem)
    await bounded.make(late).getToken(scope)
    expect(bounded.fake.refreshes).toHaveLength(1)
    expect(bounded.fake.exchanges).toHaveLength(3)

    const off = setup({ refreshTokenWindowMs: 0 })
    off.fake.respond = respond
    const other = userAssertion('grace', 60)
    await off.make(other).getToken(scope)
    vi.setSystemTime(Date.now() + 121_000)
    await off.make(other).getToken(scope)
    expect(off.fake.refreshes).toHaveLength(0)
    expect(off.fake.exchanges).toHaveLength(2)
  })

  it('refuses a negative refreshTokenWindowMs with a TypeError naming it', () => {
    const { make } = setup()
    expect(() => make(undefined, { refreshTokenWindowMs: -1 })).toThrow(/refreshTokenWindowMs/)
  })
})

describe('logging', () => {
  it('logs success, failure and cache decisions without a secret, an assertion or a token', async () => {
    const lines: string[] = []
    const original = AzureLogger.log.bind(AzureLogger)
    AzureLogger.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    }
    try {
      setLogLevel('verbose')
      const { fake, make } = setup()
      const assertion = userAssertion('frank')
      const token = await make(assertion).getToken(scope)
      await make(assertion).getToken(scope)
      fake.respond = () => {
        throw new OAuthError({
          status: 401,
          error: 'invalid_client',
          errorDescription: 'AADSTS7000215: Invalid client secret provided.',
        })
      }
      await make(userAssertion('gina'))
        .getToken(scope)
        .catch(() => undefined)
      const text = lines.join('\n')
      expect(lines.filter((line) => line.startsWith('azure:onbehalf:info')).length).toBe(2)
      expect(lines.filter((line) => line.startsWith('azure:onbehalf:warning')).length).toBe(1)
      expect(lines.filter((line) => line.startsWith('azure:onbehalf:verbose')).length).toBeGreaterThanOrEqual(4)
      expect(text).not.toContain(secret)
      expect(text).not.toContain(assertion)
      expect(text).not.toContain(token.token)
    } finally {
      AzureLogger.log = original
    }
  })
})
