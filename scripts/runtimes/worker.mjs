// workerd: the scenario as a Worker. POST the input JSON, get the result JSON.
import { runScenario } from './scenario.mjs'

export default {
  async fetch(request) {
    if (request.method !== 'POST') return new Response('POST the scenario input', { status: 405 })
    return Response.json(await runScenario(await request.json()))
  },
}
