// workerd: the scenario as a Worker, its two calls in two requests, as a real Worker serves one user's requests:
// the provider lives at module scope, so the second request is served from the cache the first one filled.
// POST the input JSON to /first, then to /second, which answers the result JSON.
import { createScenario } from './scenario.mjs'

/** Scenarios between their first and second request, by user assertion. */
const pending = new Map()

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url)
    if (request.method !== 'POST') return new Response('POST the scenario input', { status: 405 })
    const input = await request.json()
    if (pathname === '/first') {
      const scenario = createScenario(input)
      pending.set(input.userAssertion, scenario)
      await scenario.call()
      return Response.json({ started: true })
    }
    const scenario = pending.get(input.userAssertion)
    if (pathname !== '/second' || scenario === undefined) {
      return new Response('POST /first, then /second', { status: 404 })
    }
    pending.delete(input.userAssertion)
    await scenario.call()
    return Response.json(scenario.result())
  },
}
