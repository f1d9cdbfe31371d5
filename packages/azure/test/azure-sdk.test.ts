/**
 * Real Azure SDK consumers: `@azure/core-rest-pipeline`'s `bearerTokenAuthenticationPolicy` sending the OBO
 * token to a local HTTPS API (refresh when due, CAE claims challenge), and `@azure/identity`'s
 * `ChainedTokenCredential` falling through our `CredentialUnavailableError` and stopping at our
 * `AuthenticationError`.
 */
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  createPipelineRequest,
  type Pipeline,
} from '@azure/core-rest-pipeline'
import { AggregateAuthenticationError, ChainedTokenCredential } from '@azure/identity'
import { createMemoryTokenCache } from '@onbehalf/core'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AuthenticationError, OnBehalfOfCredential } from '../src/index.ts'
import { decodeJwtPart } from './helpers.ts'
import { startHttpsApi, type HttpsApi } from './https-api.ts'

let emu: EntraEmulator
let api: HttpsApi
let scope: string
beforeAll(async () => {
  emu = await startEmulator()
  api = await startHttpsApi()
  scope = emu.defaults.downstream.defaultScope
}, 60_000)
afterAll(async () => {
  await api.close()
  await emu.close()
})
beforeEach(() => {
  emu.clearRequests()
  api.tokens.length = 0
})

const tokenRequests = (): number => emu.requests.filter((request) => request.endpoint === 'token').length

function credentialFor(user = emu.defaults.users.plain, extra: { mfa?: boolean } = {}): OnBehalfOfCredential {
  return new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
    userAssertion: emu.issueUserToken({ user, ...extra }),
    clientSecret: emu.defaults.middleTier.clientSecret,
    authority: emu.authorityHost,
    fetch: emu.fetch,
    cache: createMemoryTokenCache(),
  })
}

function pipelineWith(credential: OnBehalfOfCredential): Pipeline {
  const pipeline = createEmptyPipeline()
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: scope }))
  return pipeline
}

async function send(pipeline: Pipeline): Promise<number> {
  const request = createPipelineRequest({ url: `${api.origin}/documents` })
  // createPipelineRequest drops an `agent` option; set it on the request.
  request.agent = api.agent
  const response = await pipeline.sendRequest(createDefaultHttpClient(), request)
  return response.status
}

describe('bearerTokenAuthenticationPolicy', () => {
  it('sends the OBO token to the API and reuses it while fresh', async () => {
    const pipeline = pipelineWith(credentialFor())
    expect(await send(pipeline)).toBe(200)
    expect(await send(pipeline)).toBe(200)
    expect(api.tokens).toHaveLength(2)
    expect(api.tokens[1]).toBe(api.tokens[0])
    expect(decodeJwtPart(api.tokens[0] ?? '', 1)).toMatchObject({
      aud: emu.defaults.downstream.clientId,
      oid: emu.defaults.users.plain.oid,
    })
    expect(tokenRequests()).toBe(1)
  })

  it('refreshes the token when Entra says it is due (refresh_in)', async () => {
    emu.setTokenLifetimes({ refreshIn: 1 })
    try {
      const pipeline = pipelineWith(credentialFor())
      expect(await send(pipeline)).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      // The due request starts the refresh; the next one carries the new token at the latest.
      expect(await send(pipeline)).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(await send(pipeline)).toBe(200)
      expect(tokenRequests()).toBe(2)
      expect(api.tokens.at(-1)).not.toBe(api.tokens[0])
    } finally {
      emu.setTokenLifetimes({ refreshIn: 'auto' })
    }
  })

  it("answers the API's CAE claims challenge with a fresh OBO token that carries the claims", async () => {
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}'
    let challenged = false
    api.handle((_request, response) => {
      if (!challenged) {
        challenged = true
        response
          .writeHead(401, {
            'www-authenticate': `Bearer realm="", error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"`,
          })
          .end()
        return
      }
      response.writeHead(200).end('{}')
    })
    try {
      expect(await send(pipelineWith(credentialFor()))).toBe(200)
      expect(tokenRequests()).toBe(2)
      const second = emu.requests.filter((request) => request.endpoint === 'token')[1]
      expect(JSON.parse(second?.form['claims'] ?? '{}')).toEqual({
        access_token: { nbf: { essential: true, value: '1604106651' }, xms_cc: { values: ['cp1'] } },
      })
      expect(api.tokens[1]).not.toBe(api.tokens[0])
    } finally {
      api.handle((_request, response) => response.writeHead(200).end('{}'))
    }
  })

  it('surfaces an MFA challenge as our AuthenticationError', async () => {
    await expect(send(pipelineWith(credentialFor(emu.defaults.users.mfa)))).rejects.toMatchObject({
      name: 'AuthenticationError',
      code: 'INTERACTION_REQUIRED',
    })
    expect(api.tokens).toHaveLength(0)
  })
})

describe('ChainedTokenCredential', () => {
  it('falls through a closed credential (CredentialUnavailableError) to the next one', async () => {
    const closed = credentialFor()
    await closed.close()
    const next = credentialFor()
    const token = await new ChainedTokenCredential(closed, next).getToken(scope)
    expect(token?.token).toEqual(expect.any(String))
    expect(tokenRequests()).toBe(1)
  })

  it('falls through an unreadable certificate file', async () => {
    const broken = new OnBehalfOfCredential(emu.tenantId, emu.defaults.middleTier.clientId, {
      userAssertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
      clientCertificatePath: '/nonexistent/middle-tier.pem',
      authority: emu.authorityHost,
      fetch: emu.fetch,
    })
    await expect(new ChainedTokenCredential(broken, credentialFor()).getToken(scope)).resolves.toMatchObject({
      tokenType: 'Bearer',
    })
  })

  it('reports every unavailable credential when none can try', async () => {
    const a = credentialFor()
    const b = credentialFor()
    await a.close()
    await b.close()
    await expect(new ChainedTokenCredential(a, b).getToken(scope)).rejects.toBeInstanceOf(AggregateAuthenticationError)
  })

  it('stops at our AuthenticationError (the credential tried and Entra refused)', async () => {
    const mfa = credentialFor(emu.defaults.users.mfa)
    const next = credentialFor()
    const error = await new ChainedTokenCredential(mfa, next).getToken(scope).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(tokenRequests()).toBe(1)
  })
})
