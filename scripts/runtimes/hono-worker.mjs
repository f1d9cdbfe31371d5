// workerd: a Hono app protected by @onbehalf/server's Hono adapter, with the default (jose) engine, from the packed
// tarballs. Its configuration comes as the JSON binding ONBEHALF (authority, tenant, client ID, the client
// credential, the downstream scope). GET /obo validates the caller's token (Entra metadata and JWKS fetched with
// the Worker's own fetch), exchanges it On-Behalf-Of for the downstream API, and answers the token with the
// counters Node checks (keys fetched, tokens verified, OBO engines created). The protected API lives at module
// scope, as in a real Worker, so a later request with the same token is served from the verified-token memory
// and the OBO cache. Refusals are the adapter's own answers.
import { Hono } from 'hono'
import { OnBehalfOfCredential } from '@onbehalf/azure'
import { createProtectedApi, requireScopes } from '@onbehalf/server'
import { apiAuthErrorResponse, authenticate } from '@onbehalf/server/hono'

/** The protected API and its route guard, made from the first request's bindings (a Worker gets `env` with a request). */
let api
let guard

/** @param {{ authorityHost: string, tenantId: string, clientId: string, credential: object, scopes: string[] }} config */
function setUp(config) {
  api = createProtectedApi({
    tenantId: config.tenantId,
    clientId: config.clientId,
    authority: config.authorityHost,
    ...(config.credential.kind === 'secret'
      ? { clientSecret: config.credential.secret }
      : { clientCertificate: config.credential.certificate }),
    // The emulator is not a host Entra's instance discovery vouches for, and the Worker reaches nothing else.
    disableInstanceDiscovery: true,
    downstreamApis: { downstream: { baseUrl: 'https://downstream.invalid', scopes: config.scopes } },
  })
  guard = authenticate(api, requireScopes('access_as_user'))
}

const app = new Hono()
app.use('/obo', (c, next) => {
  if (api === undefined) setUp(c.env.ONBEHALF)
  return guard(c, next)
})
app.get('/obo', async (c) => {
  const caller = c.get('caller')
  const token = await caller.getToken('downstream')
  return c.json({
    token: token.token,
    oid: caller.claims.oid,
    credentialStats: OnBehalfOfCredential.stats(),
    apiStats: api.stats(),
  })
})
app.onError(
  (error, c) => apiAuthErrorResponse(error) ?? c.text(`${error?.code ?? error?.name}: ${error?.message}`, 500),
)

export default app
