import { createMemoryTokenCache } from '@onbehalf/core'
import { startEmulator, type EntraEmulator, type RegisteredApp } from '@onbehalf/entra-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentIdentityAssertion, managedIdentityAssertion } from '../src/index.ts'
import { claimsOf, engines, exchange, loadEngines, registerSecretlessApi } from './setup.ts'

let emu: EntraEmulator

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu.close()
})

const t1Requests = (agentId: string): number =>
  emu.requests.filter((r) => r.endpoint === 'token' && r.form['fmi_path'] === agentId && r.status === 200).length

function setUp(name: string): { blueprint: RegisteredApp; agents: [RegisteredApp, RegisteredApp] } {
  const blueprint = emu.registerAgentBlueprint({ displayName: `Blueprint ${name}` })
  const identity = emu.addManagedIdentity({ displayName: `blueprint-${name}` })
  emu.trustManagedIdentity(blueprint, identity)
  const agents: [RegisteredApp, RegisteredApp] = [
    emu.addAgentIdentity({ blueprintClientId: blueprint.clientId, displayName: `Agent A ${name}` }),
    emu.addAgentIdentity({ blueprintClientId: blueprint.clientId, displayName: `Agent B ${name}` }),
  ]
  blueprints.set(
    blueprint.clientId,
    managedIdentityAssertion({ clientId: identity.clientId, endpoint: emu.imdsEndpoint, fetch: emu.fetch }),
  )
  return { blueprint, agents }
}
const blueprints = new Map<string, ReturnType<typeof managedIdentityAssertion>>()

const agentCallback = (blueprint: RegisteredApp, agent: RegisteredApp): ReturnType<typeof agentIdentityAssertion> =>
  agentIdentityAssertion({
    tenantId: emu.tenantId,
    blueprintClientId: blueprint.clientId,
    agentId: agent.clientId,
    blueprint: { getClientAssertion: blueprints.get(blueprint.clientId) ?? (() => '') },
    authority: emu.authorityHost,
    fetch: emu.fetch,
  })

describe.each(engines)('agent identities, %s engine', (name, engine) => {
  it('two agents under one blueprint act for users; tokens never shared; T1 once per agent per lifetime', async () => {
    const { blueprint, agents } = setUp(name)
    const cache = createMemoryTokenCache()
    const users = Array.from({ length: 5 }, (_, i) => emu.addUser({ upn: `agent-${name}-${i}@${emu.tenant.domain}` }))
    const seen = new Map<string, string>()
    for (const agent of agents) {
      for (const user of users) {
        // Per request, as a server would: the callback is shared per blueprint + agent inside the package.
        const token = await exchange(emu, {
          clientId: agent.clientId,
          getClientAssertion: agentCallback(blueprint, agent),
          engine,
          cache,
          audience: blueprint.clientId,
          user: user.upn,
        })
        const claims = claimsOf(token)
        expect(claims['azp']).toBe(agent.clientId)
        expect(claims['oid']).toBe(user.oid)
        expect(claims['xms_par_app_azp']).toBe(blueprint.clientId)
        for (const claim of ['xms_act_fct', 'xms_sub_fct', 'xms_idrel']) expect(typeof claims[claim]).toBe('string')
        expect(seen.has(token)).toBe(false)
        seen.set(token, agent.clientId)
      }
    }
    for (const agent of agents) expect(t1Requests(agent.clientId)).toBe(1)
    expect(agentCallback(blueprint, agents[0])).toBe(agentCallback(blueprint, agents[0]))
    expect(agentCallback(blueprint, agents[0])).not.toBe(agentCallback(blueprint, agents[1]))
    // The blueprint's own managed identity token was fetched once for both agents' T1 requests.
    expect(blueprints.get(blueprint.clientId)?.platformRequests).toBe(1)
  })

  it('refuses a user token for another app, for the agent itself, and an app-only token', async () => {
    const { blueprint, agents } = setUp(`${name}-refusals`)
    const other = registerSecretlessApi(emu, `Other API ${name}`)
    const attempt = (userAssertion: string): Promise<unknown> =>
      exchange(emu, {
        clientId: agents[0].clientId,
        getClientAssertion: agentCallback(blueprint, agents[0]),
        engine,
        userAssertion,
      }).catch((e: unknown) => e)
    const user = emu.defaults.users.plain.upn
    for (const audience of [other.clientId, agents[0].clientId]) {
      const error = await attempt(emu.issueUserToken({ user, audience }))
      expect(error).toMatchObject({ name: 'AuthenticationError', code: 'INVALID_GRANT' })
    }
    const appOnly = await attempt(emu.issueUserToken({ appOnly: true, audience: blueprint.clientId }))
    expect(appOnly).toMatchObject({ name: 'AuthenticationError' })
    expect((appOnly as { errorResponse: { error: string } }).errorResponse.error).toBe('invalid_grant')
  })
})

describe('agent identities under load', () => {
  it.each(loadEngines)(
    '%s engine: fetches T1 once for concurrent first exchanges of one agent',
    async (name, engine, count) => {
      const { blueprint, agents } = setUp(`${name}-concurrent`)
      const cache = createMemoryTokenCache()
      const users = Array.from({ length: count }, (_, i) =>
        emu.addUser({ upn: `agent-c-${name}-${i}@${emu.tenant.domain}` }),
      )
      await Promise.all(
        users.map((user) =>
          exchange(emu, {
            clientId: agents[0].clientId,
            getClientAssertion: agentCallback(blueprint, agents[0]),
            engine,
            cache,
            audience: blueprint.clientId,
            user: user.upn,
          }),
        ),
      )
      expect(t1Requests(agents[0].clientId)).toBe(1)
    },
    120_000,
  )
})

describe('agent identity refusals at T1', () => {
  it('refuses fmi_path from an app that is not a blueprint, and an agent of another blueprint', async () => {
    const { blueprint, agents } = setUp('t1-refusals')
    const plain = emu.registerApp({ displayName: 'Not a blueprint', clientSecret: true })
    const notBlueprint = agentIdentityAssertion({
      tenantId: emu.tenantId,
      blueprintClientId: plain.clientId,
      agentId: agents[0].clientId,
      blueprint: { clientSecret: plain.clientSecret ?? '' },
      authority: emu.authorityHost,
      fetch: emu.fetch,
    })
    await expect(notBlueprint()).rejects.toMatchObject({ code: 'INVALID_CLIENT', errorCodes: [82001] })
    const { agents: foreign } = setUp('t1-foreign')
    const wrongAgent = agentIdentityAssertion({
      tenantId: emu.tenantId,
      blueprintClientId: blueprint.clientId,
      agentId: foreign[0].clientId,
      blueprint: { getClientAssertion: blueprints.get(blueprint.clientId) ?? (() => '') },
      authority: emu.authorityHost,
      fetch: emu.fetch,
    })
    await expect(wrongAgent()).rejects.toMatchObject({ code: 'INVALID_CLIENT', errorCodes: [700016] })
  })

  it('says AADSTS70021 can take minutes to propagate when the blueprint is not trusted yet', async () => {
    const blueprint = emu.registerAgentBlueprint({ displayName: 'Untrusted blueprint' })
    const agent = emu.addAgentIdentity({ blueprintClientId: blueprint.clientId })
    const identity = emu.addManagedIdentity()
    emu.trustManagedIdentity(blueprint, identity, { propagationSeconds: 3600 })
    const callback = agentIdentityAssertion({
      tenantId: emu.tenantId,
      blueprintClientId: blueprint.clientId,
      agentId: agent.clientId,
      blueprint: {
        getClientAssertion: managedIdentityAssertion({
          clientId: identity.clientId,
          endpoint: emu.imdsEndpoint,
          fetch: emu.fetch,
        }),
      },
      authority: emu.authorityHost,
      fetch: emu.fetch,
    })
    await expect(callback()).rejects.toMatchObject({
      errorCodes: [70021],
      message: expect.stringMatching(/minutes to propagate/),
    })
  })
})

describe('blueprint credentials', () => {
  it('a blueprint authenticates its T1 requests with a secret, a PEM certificate or a PKCS#12 file', async () => {
    const blueprint = emu.registerAgentBlueprint({
      displayName: 'Blueprint with secret and certificate',
      clientSecret: true,
      certificate: true,
    })
    const certificate = blueprint.certificate
    if (certificate?.privateKeyPem === undefined || blueprint.clientSecret === undefined) {
      throw new Error('no credentials')
    }
    const credentials = [
      { clientSecret: blueprint.clientSecret },
      { clientCertificate: `${certificate.privateKeyPem}\n${certificate.certificatePem}` },
      {
        clientCertificate: certificate.pkcs12 ?? new Uint8Array(),
        password: certificate.pkcs12Password ?? '',
        sendCertificateChain: true,
      },
    ]
    for (const credential of credentials) {
      const agent = emu.addAgentIdentity({ blueprintClientId: blueprint.clientId })
      const token = await exchange(emu, {
        clientId: agent.clientId,
        getClientAssertion: agentIdentityAssertion({
          tenantId: emu.tenantId,
          blueprintClientId: blueprint.clientId,
          agentId: agent.clientId,
          blueprint: credential,
          authority: emu.authorityHost,
          fetch: emu.fetch,
        }),
        engine: undefined,
        audience: blueprint.clientId,
      })
      expect(claimsOf(token)).toMatchObject({ azp: agent.clientId, xms_par_app_azp: blueprint.clientId })
      const t1 = emu.requests.filter((r) => r.form['fmi_path'] === agent.clientId)
      expect(t1).toHaveLength(1)
      expect(t1[0]?.form['client_assertion'] === undefined).toBe('clientSecret' in credential)
    }
  })

  it('refuses a blueprint credential that is none or more than one kind', () => {
    const base = { tenantId: emu.tenantId, blueprintClientId: 'b', agentId: 'a', authority: emu.authorityHost }
    // @ts-expect-error -- none and two kinds are rejected by the types too; JavaScript callers get the error.
    expect(() => agentIdentityAssertion({ ...base, blueprint: {} })).toThrow(/exactly one of/)
    expect(() =>
      // @ts-expect-error -- as above.
      agentIdentityAssertion({ ...base, blueprint: { clientSecret: 's', getClientAssertion: () => 'x' } }),
    ).toThrow(/exactly one of/)
  })
})
