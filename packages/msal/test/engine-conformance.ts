/**
 * The shared engine conformance suite: the same cases for every `EngineFactory` (`createJoseEngine()`, `createMsalEngine()`),
 * against the Entra emulator over HTTPS. An engine passes when it is interchangeable with the others for
 * everything that does not depend on its internals.
 *
 * @example
 * ```ts
 * engineConformance('msal', createMsalEngine())
 * ```
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { OAuthError, OboError, type EngineFactory, type OboEngine } from '@onbehalf/core'
import { caeClaims } from '@onbehalf/core/engine'
import {
  decodeJwt,
  middleTierConfig,
  secretCredential,
  signClientAssertion,
  tokenRequests,
  x5tS256,
} from './helpers.ts'

/** Registers the conformance cases for `factory` under `name`. */
export function engineConformance(name: string, factory: EngineFactory): void {
  describe(`engine conformance: ${name}`, () => {
    let emu: EntraEmulator
    const engines: OboEngine[] = []
    const make = (...args: Parameters<EngineFactory>): OboEngine => {
      const engine = factory(...args)
      engines.push(engine)
      return engine
    }
    const secretEngine = (): OboEngine => make(middleTierConfig(emu, secretCredential(emu)))
    const downstream = (): string[] => [emu.defaults.downstream.defaultScope]
    const plainAssertion = (): string => emu.issueUserToken({ user: emu.defaults.users.plain })
    /** A multi-tenant middle tier calling Graph, and a second tenant. */
    const multiTenantSetup = (): {
      engine: OboEngine
      other: ReturnType<EntraEmulator['addTenant']>
      scopes: string[]
      assertionFor: (user: Parameters<EntraEmulator['issueUserToken']>[0]['user']) => string
    } => {
      const app = emu.registerApp({ multiTenant: true, clientSecret: true, appIdUri: true, scopes: ['access_as_user'] })
      const engine = make({
        ...middleTierConfig(emu, { kind: 'secret', secret: app.clientSecret ?? '' }),
        clientId: app.clientId,
      })
      return {
        engine,
        other: emu.addTenant(),
        scopes: [`${emu.defaults.graph.appIdUri}/User.Read`],
        assertionFor: (user) => emu.issueUserToken({ ...(user === undefined ? {} : { user }), audience: app.clientId }),
      }
    }

    beforeAll(async () => {
      // recordSecrets: the tests check the secret each engine sent.
      emu = await startEmulator({ recordSecrets: true })
    })
    afterAll(async () => {
      await Promise.all(engines.map((engine) => engine.close()))
      await emu.close()
    })

    async function rejection(promise: Promise<unknown>): Promise<OboError> {
      const error = await promise.then(
        () => undefined,
        (reason: unknown) => reason,
      )
      expect(error).toBeInstanceOf(OboError)
      return error as OboError
    }

    describe('client credentials', () => {
      it('exchanges with a client secret: one OBO request, a downstream token for the user', async () => {
        const engine = secretEngine()
        expect(engine.name).toBe(name)
        emu.clearRequests()
        const before = Date.now()
        const result = await engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: plainAssertion(),
          scopes: downstream(),
        })
        const claims = decodeJwt(result.accessToken).payload
        expect([emu.defaults.downstream.clientId, emu.defaults.downstream.appIdUri]).toContain(claims['aud'])
        expect(claims['oid']).toBe(emu.defaults.users.plain.oid)
        expect(claims['tid']).toBe(emu.tenantId)
        expect(claims['azp']).toBe(emu.defaults.middleTier.clientId)
        expect(result.tokenType).toBe('Bearer')
        expect(result.expiresAt).toBeGreaterThanOrEqual(before + emu.tokenLifetimes.accessTokenSeconds * 1000 - 1000)
        expect(result.expiresAt).toBeLessThanOrEqual(Date.now() + emu.tokenLifetimes.accessTokenSeconds * 1000)
        expect(result.scopes.length).toBeGreaterThan(0)
        expect(result.refreshToken).toBeUndefined()
        const requests = tokenRequests(emu)
        expect(requests).toHaveLength(1)
        expect(requests[0]?.form['grant_type']).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer')
        expect(requests[0]?.form['requested_token_use']).toBe('on_behalf_of')
        expect(requests[0]?.form['client_secret']).toBe(emu.defaults.middleTier.clientSecret)
        expect(requests[0]?.status).toBe(200)
      })

      it('exchanges with a PEM certificate (key + certificate): PS256 client assertion with x5t#S256', async () => {
        const tier = emu.defaults.middleTier
        const engine = make(
          middleTierConfig(emu, { kind: 'certificate', certificate: `${tier.privateKeyPem}\n${tier.certificatePem}` }),
        )
        emu.clearRequests()
        const result = await engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: plainAssertion(),
          scopes: downstream(),
        })
        expect(decodeJwt(result.accessToken).payload['oid']).toBe(emu.defaults.users.plain.oid)
        const form = tokenRequests(emu)[0]?.form ?? {}
        expect(form['client_secret']).toBeUndefined()
        expect(form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        const assertion = decodeJwt(form['client_assertion'] ?? '')
        expect(assertion.header['alg']).toBe('PS256')
        expect(assertion.header['x5t#S256']).toBe(x5tS256(tier.certificatePem))
        expect(assertion.header['x5c']).toBeUndefined()
        expect(assertion.payload['aud']).toBe(emu.tokenEndpoint(emu.tenantId))
        expect(assertion.payload['iss']).toBe(tier.clientId)
        expect(assertion.payload['sub']).toBe(tier.clientId)
      })

      it('exchanges with a PKCS#12 certificate and its password, and sends x5c when asked', async () => {
        const tier = emu.defaults.middleTier
        const engine = make(
          middleTierConfig(emu, {
            kind: 'certificate',
            certificate: tier.pkcs12,
            password: tier.pkcs12Password,
            sendCertificateChain: true,
          }),
        )
        emu.clearRequests()
        await engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() })
        const header = decodeJwt(tokenRequests(emu)[0]?.form['client_assertion'] ?? '').header
        expect(header['x5t#S256']).toBe(x5tS256(tier.certificatePem))
        const x5c = header['x5c'] as string[]
        expect(Array.isArray(x5c)).toBe(true)
        expect(x5c[0]).toBe(tier.certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''))
      })

      it('rejects an unreadable certificate or a wrong PKCS#12 password with INVALID_CERTIFICATE', async () => {
        const tier = emu.defaults.middleTier
        const attempt = async (certificate: string | Uint8Array, password?: string): Promise<unknown> =>
          make(
            middleTierConfig(emu, {
              kind: 'certificate',
              certificate,
              ...(password === undefined ? {} : { password }),
            }),
          ).exchange({
            tenantId: emu.tenantId,
            userAssertion: plainAssertion(),
            scopes: downstream(),
          })
        expect((await rejection(attempt(tier.pkcs12, 'not-the-password'))).code).toBe('INVALID_CERTIFICATE')
        expect(
          (await rejection(attempt('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----'))).code,
        ).toBe('INVALID_CERTIFICATE')
        expect((await rejection(attempt(tier.certificatePem))).code).toBe('INVALID_CERTIFICATE')
      })

      it('calls the client-assertion callback once per token request', async () => {
        let calls = 0
        const engine = make(
          middleTierConfig(emu, {
            kind: 'assertion',
            getAssertion: () => {
              calls += 1
              return signClientAssertion(emu)
            },
          }),
        )
        emu.clearRequests()
        await engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() })
        await engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() })
        expect(calls).toBe(2)
        const requests = tokenRequests(emu)
        expect(requests).toHaveLength(2)
        expect(
          requests.every((request) => request.status === 200 && request.form['client_assertion'] !== undefined),
        ).toBe(true)
      })

      it('maps a failing or empty client-assertion callback to CLIENT_ASSERTION_FAILED without a request', async () => {
        emu.clearRequests()
        const throwing = make(
          middleTierConfig(emu, {
            kind: 'assertion',
            getAssertion: () => Promise.reject(new Error('federation endpoint down')),
          }),
        )
        const empty = make(middleTierConfig(emu, { kind: 'assertion', getAssertion: () => '' }))
        const request = { tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }
        expect((await rejection(throwing.exchange(request))).code).toBe('CLIENT_ASSERTION_FAILED')
        expect((await rejection(empty.exchange(request))).code).toBe('CLIENT_ASSERTION_FAILED')
        expect(tokenRequests(emu)).toHaveLength(0)
      })

      it('gives the same fingerprint for the same configuration and different ones otherwise, never the secret', () => {
        const a = secretEngine()
        const b = secretEngine()
        const other = make(middleTierConfig(emu, { kind: 'secret', secret: 'another-secret-value' }))
        const otherHost = make({
          ...middleTierConfig(emu, secretCredential(emu)),
          authorityHost: 'https://login.microsoftonline.com',
        })
        expect(a.fingerprint).toBe(b.fingerprint)
        expect(new Set([a.fingerprint, other.fingerprint, otherHost.fingerprint]).size).toBe(3)
        expect(a.fingerprint).not.toContain(emu.defaults.middleTier.clientSecret)
      })
    })

    describe('protocol features', () => {
      it('returns a refresh token when offline_access is asked and redeems it', async () => {
        const engine = secretEngine()
        const scopes = [...downstream(), 'offline_access']
        const first = await engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes })
        expect(typeof first.refreshToken).toBe('string')
        emu.clearRequests()
        const refreshed = await engine.redeemRefreshToken({
          tenantId: emu.tenantId,
          refreshToken: first.refreshToken ?? '',
          scopes,
        })
        expect(decodeJwt(refreshed.accessToken).payload['oid']).toBe(emu.defaults.users.plain.oid)
        expect(refreshed.accessToken).not.toBe(first.accessToken)
        const requests = tokenRequests(emu)
        expect(requests).toHaveLength(1)
        expect(requests[0]?.grantType).toBe('refresh_token')
      })

      it('maps a revoked refresh token to INVALID_GRANT', async () => {
        const engine = secretEngine()
        const scopes = [...downstream(), 'offline_access']
        const first = await engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes })
        emu.revokeRefreshTokens(emu.defaults.users.plain)
        const error = await rejection(
          engine.redeemRefreshToken({ tenantId: emu.tenantId, refreshToken: first.refreshToken ?? '', scopes }),
        )
        expect(error.code).toBe('INVALID_GRANT')
      })

      it('sends the CAE capability in claims and gets a CAE token (xms_cc cp1)', async () => {
        const engine = secretEngine()
        emu.clearRequests()
        const result = await engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: plainAssertion(),
          scopes: downstream(),
          claims: caeClaims,
        })
        expect(decodeJwt(result.accessToken).payload['xms_cc']).toEqual(['cp1'])
        const sent = JSON.parse(tokenRequests(emu)[0]?.form['claims'] ?? '{}') as {
          access_token?: { xms_cc?: { values?: string[] } }
        }
        expect(sent.access_token?.xms_cc?.values).toEqual(['cp1'])
        const plain = await engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: plainAssertion(),
          scopes: downstream(),
        })
        expect(decodeJwt(plain.accessToken).payload['xms_cc']).toBeUndefined()
      })

      it('asks the tenant named by each request (tenant per request)', async () => {
        const { engine, other, scopes, assertionFor } = multiTenantSetup()
        const guest = emu.addUser({ tenantId: other.id })
        emu.clearRequests()
        const home = await engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: assertionFor(emu.defaults.users.plain),
          scopes,
        })
        const away = await engine.exchange({ tenantId: other.id, userAssertion: assertionFor(guest), scopes })
        expect(decodeJwt(home.accessToken).payload['tid']).toBe(emu.tenantId)
        expect(decodeJwt(away.accessToken).payload['tid']).toBe(other.id)
        expect(decodeJwt(away.accessToken).payload['oid']).toBe(guest.oid)
        expect(tokenRequests(emu).map((request) => request.tenant)).toEqual([emu.tenantId, other.id])
      })
    })

    describe('errors', () => {
      const expectOAuth = (error: OboError, code: string, status: number, aadsts: number): OAuthError => {
        expect(error).toBeInstanceOf(OAuthError)
        const oauth = error as OAuthError
        expect(oauth.code).toBe(code)
        expect(oauth.status).toBe(status)
        expect(oauth.errorCodes).toContain(aadsts)
        expect(oauth.errorDescription).toMatch(new RegExp(`^AADSTS${aadsts}:`))
        expect(oauth.traceId).toMatch(/^[0-9a-f-]{36}$/)
        expect(oauth.correlationId).toMatch(/^[0-9a-f-]{36}$/)
        expect(oauth.timestamp).toBeDefined()
        return oauth
      }

      it('bad client secret → INVALID_CLIENT (401, AADSTS7000215), secret not in the message', async () => {
        const engine = make(middleTierConfig(emu, { kind: 'secret', secret: 'wrong-secret-value-123' }))
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        )
        expectOAuth(error, 'INVALID_CLIENT', 401, 7000215)
        expect(error.message).not.toContain('wrong-secret-value-123')
      })

      it('expired client assertion from the callback → INVALID_CLIENT (AADSTS700024 or 700027)', async () => {
        const engine = make(
          middleTierConfig(emu, {
            kind: 'assertion',
            getAssertion: () => signClientAssertion(emu, { lifetimeSeconds: -600 }),
          }),
        )
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        )
        expect(error).toBeInstanceOf(OAuthError)
        expect(error.code).toBe('INVALID_CLIENT')
        expect((error as OAuthError).errorCodes.some((code) => code === 700024 || code === 700027)).toBe(true)
      })

      it('expired user assertion → INVALID_GRANT (AADSTS500133)', async () => {
        const engine = secretEngine()
        const expired = emu.issueUserToken({ user: emu.defaults.users.plain, lifetimeSeconds: -60 })
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: expired, scopes: downstream() }),
        )
        expectOAuth(error, 'INVALID_GRANT', 400, 500133)
      })

      it('user assertion for another audience → INVALID_GRANT (AADSTS500131)', async () => {
        const engine = secretEngine()
        const wrongAudience = emu.issueUserToken({
          user: emu.defaults.users.plain,
          audience: emu.defaults.downstream.clientId,
        })
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: wrongAudience, scopes: downstream() }),
        )
        expectOAuth(error, 'INVALID_GRANT', 400, 500131)
      })

      it('consent missing → INTERACTION_REQUIRED (AADSTS65001, suberror consent_required)', async () => {
        const engine = secretEngine()
        const assertion = emu.issueUserToken({ user: emu.defaults.users.consentMissing })
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: assertion, scopes: downstream() }),
        )
        const oauth = expectOAuth(error, 'INTERACTION_REQUIRED', 400, 65001)
        expect(oauth.suberror).toBe('consent_required')
      })

      it('MFA required → INTERACTION_REQUIRED (AADSTS50076) with the claims challenge to relay', async () => {
        const engine = secretEngine()
        const assertion = emu.issueUserToken({ user: emu.defaults.users.mfa })
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: assertion, scopes: downstream() }),
        )
        const oauth = expectOAuth(error, 'INTERACTION_REQUIRED', 400, 50076)
        expect(oauth.error).toBe('interaction_required')
        expect(oauth.claims).toBe(emu.mfaClaimsChallenge)
        expect(oauth.toWwwAuthenticate()).toBe(
          `Bearer error="insufficient_claims", claims="${Buffer.from(emu.mfaClaimsChallenge).toString('base64')}"`,
        )
        const satisfied = emu.issueUserToken({ user: emu.defaults.users.mfa, mfa: true })
        await expect(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: satisfied, scopes: downstream() }),
        ).resolves.toBeDefined()
      })

      it('retries a 503 and succeeds; a 429 whose Retry-After exceeds the deadline fails fast as THROTTLED', async () => {
        const engine = secretEngine()
        emu.clearRequests()
        emu.faults.inject({ kind: 'server-error', status: 503, times: 1 })
        await expect(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        ).resolves.toBeDefined()
        expect(tokenRequests(emu).map((request) => request.status)).toEqual([503, 200])
        emu.clearRequests()
        emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 120, times: 1 })
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        )
        expect(error).toBeInstanceOf(OAuthError)
        expect(error.code).toBe('THROTTLED')
        expect((error as OAuthError).retryAfterMs).toBe(120_000)
        expect(tokenRequests(emu)).toHaveLength(1)
      })

      it('maps a non-JSON answer to INVALID_RESPONSE and dropped connections to NETWORK_ERROR', async () => {
        const engine = secretEngine()
        emu.faults.inject({
          kind: 'malformed',
          status: 200,
          body: '<html>oops</html>',
          contentType: 'text/html',
          times: 1,
        })
        expect(
          (
            await rejection(
              engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
            )
          ).code,
        ).toBe('INVALID_RESPONSE')
        emu.faults.inject({ kind: 'drop', times: 10 })
        const dropped = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        )
        emu.faults.clear()
        expect(dropped.code).toBe('NETWORK_ERROR')
      }, 20_000)

      it('refuses bad requests with INVALID_ARGUMENT before any network call', async () => {
        const engine = secretEngine()
        emu.clearRequests()
        const base = { tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }
        expect((await rejection(engine.exchange({ ...base, userAssertion: '' }))).code).toBe('INVALID_ARGUMENT')
        expect((await rejection(engine.exchange({ ...base, scopes: [] }))).code).toBe('INVALID_ARGUMENT')
        expect((await rejection(engine.exchange({ ...base, tenantId: 'bad tenant/..' }))).code).toBe('INVALID_ARGUMENT')
        expect(tokenRequests(emu)).toHaveLength(0)
      })

      it('fails with CLOSED after close()', async () => {
        const engine = secretEngine()
        await engine.close()
        await engine.close()
        const error = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        )
        expect(error.code).toBe('CLOSED')
      })
    })

    describe('abort', () => {
      it('rejects at once with ABORTED when the signal fires mid-request, and sends nothing when already aborted', async () => {
        const engine = secretEngine()
        await engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() })
        emu.clearRequests()
        const preAborted = await rejection(
          engine.exchange({
            tenantId: emu.tenantId,
            userAssertion: plainAssertion(),
            scopes: downstream(),
            signal: AbortSignal.abort(),
          }),
        )
        expect(preAborted.code).toBe('ABORTED')
        expect(tokenRequests(emu)).toHaveLength(0)

        emu.faults.inject({ kind: 'latency', latencyMs: 1500, times: 1 })
        const controller = new AbortController()
        const started = Date.now()
        const pending = engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: plainAssertion(),
          scopes: downstream(),
          signal: controller.signal,
        })
        setTimeout(() => controller.abort(new Error('client went away')), 100)
        const error = await rejection(pending)
        expect(error.code).toBe('ABORTED')
        expect(Date.now() - started).toBeLessThan(1000)
        // The engine stays usable afterwards.
        await new Promise((resolve) => setTimeout(resolve, 1600))
        await expect(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        ).resolves.toBeDefined()
      })
    })

    describe('isolation', () => {
      it('never answers for another tenant: the same assertion for tenant B goes to tenant B (and fails there)', async () => {
        const { engine, other, scopes, assertionFor } = multiTenantSetup()
        const assertion = assertionFor(emu.defaults.users.plain)
        const home = await engine.exchange({ tenantId: emu.tenantId, userAssertion: assertion, scopes })
        expect(decodeJwt(home.accessToken).payload['tid']).toBe(emu.tenantId)
        emu.clearRequests()
        const error = await rejection(engine.exchange({ tenantId: other.id, userAssertion: assertion, scopes }))
        expect(error.code).toBe('INVALID_GRANT')
        const requests = tokenRequests(emu)
        expect(requests).toHaveLength(1)
        expect(requests[0]?.tenant).toBe(other.id)
      })

      it("does not let one user's 429 block another user: B's next call reaches the server and succeeds", async () => {
        const engine = secretEngine()
        const userB = emu.addUser()
        emu.clearRequests()
        emu.faults.inject({ kind: 'throttle', retryAfterSeconds: 60, times: 1 })
        const throttled = await rejection(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        )
        expect(throttled.code).toBe('THROTTLED')
        const result = await engine.exchange({
          tenantId: emu.tenantId,
          userAssertion: emu.issueUserToken({ user: userB }),
          scopes: downstream(),
        })
        expect(decodeJwt(result.accessToken).payload['oid']).toBe(userB.oid)
        expect(tokenRequests(emu).map((request) => request.status)).toEqual([429, 200])
        // And user A itself is not blocked by the engine: throttling is the token provider's job, per key.
        await expect(
          engine.exchange({ tenantId: emu.tenantId, userAssertion: plainAssertion(), scopes: downstream() }),
        ).resolves.toBeDefined()
      })

      it('validates the authority once per process: later cold exchanges cost one token request each', async () => {
        await using fresh = await startEmulator()
        const config = middleTierConfig(fresh, { kind: 'secret', secret: fresh.defaults.middleTier.clientSecret })
        const scopes = [fresh.defaults.downstream.defaultScope]
        const first = make(config)
        await first.exchange({
          tenantId: fresh.tenantId,
          userAssertion: fresh.issueUserToken({ user: fresh.defaults.users.plain }),
          scopes,
        })
        expect(fresh.requests.filter((request) => request.endpoint === 'instance-discovery')).toHaveLength(1)
        expect(
          fresh.requests.filter((request) => request.endpoint === 'openid-configuration').length,
        ).toBeLessThanOrEqual(1)
        for (const engine of [first, make(config), make(config)]) {
          fresh.clearRequests()
          const user = fresh.addUser()
          await engine.exchange({ tenantId: fresh.tenantId, userAssertion: fresh.issueUserToken({ user }), scopes })
          expect(fresh.requests.map((request) => request.endpoint)).toEqual(['token'])
        }
      })

      it('retries a failing instance discovery, and reports a throttled one as THROTTLED (not an invalid authority)', async () => {
        await using fresh = await startEmulator()
        const request = () => ({
          tenantId: fresh.tenantId,
          userAssertion: fresh.issueUserToken({ user: fresh.defaults.users.plain }),
          scopes: [fresh.defaults.downstream.defaultScope],
        })
        const engine = make(middleTierConfig(fresh, { kind: 'secret', secret: fresh.defaults.middleTier.clientSecret }))
        fresh.faults.inject({
          kind: 'throttle',
          retryAfterSeconds: 120,
          times: 1,
          match: { endpoint: 'instance-discovery' },
        })
        const throttled = await rejection(engine.exchange(request()))
        expect(throttled.code).toBe('THROTTLED')
        expect(fresh.requests.filter((recorded) => recorded.endpoint === 'token')).toHaveLength(0)
        fresh.faults.inject({ kind: 'server-error', status: 503, times: 1, match: { endpoint: 'instance-discovery' } })
        await expect(engine.exchange(request())).resolves.toBeDefined()
        expect(
          fresh.requests
            .filter((recorded) => recorded.endpoint === 'instance-discovery')
            .map((recorded) => recorded.status),
        ).toEqual([429, 503, 200])
      })

      it('with disableInstanceDiscovery, makes no instance-discovery request', async () => {
        await using fresh = await startEmulator()
        const engine = make(
          middleTierConfig(
            fresh,
            { kind: 'secret', secret: fresh.defaults.middleTier.clientSecret },
            { disableInstanceDiscovery: true },
          ),
        )
        await engine.exchange({
          tenantId: fresh.tenantId,
          userAssertion: fresh.issueUserToken({ user: fresh.defaults.users.plain }),
          scopes: [fresh.defaults.downstream.defaultScope],
        })
        expect(fresh.requests.filter((request) => request.endpoint === 'instance-discovery')).toHaveLength(0)
        expect(fresh.requests.filter((request) => request.endpoint === 'token')).toHaveLength(1)
      })
    })
  })
}
