import { parseFaultSpec } from '../faults.ts'
import type { InstalledFault } from '../faults.ts'
import { NO_STORE, json } from '../http/reply.ts'
import type { Reply } from '../http/reply.ts'
import type { EmulatorServices, Route } from './route.ts'

function describeFault(f: InstalledFault): Record<string, unknown> {
  return { id: f.id, fired: f.fired, active: f.active, spec: f.spec }
}

function faultControl(method: string, body: string, emulator: EmulatorServices): Reply {
  if (method === 'GET') {
    return json(200, { faults: emulator.faults.list().map(describeFault) }, NO_STORE)
  }
  if (method === 'DELETE') {
    emulator.faults.clear()
    return json(200, { faults: [] }, NO_STORE)
  }
  if (method !== 'POST') {
    return json(405, { error: 'invalid_request', error_description: 'Use GET, POST or DELETE.' })
  }
  try {
    const installed = emulator.faults.inject(parseFaultSpec(JSON.parse(body)))
    return json(201, describeFault(installed), NO_STORE)
  } catch (error) {
    const message = error instanceof TypeError ? error.message : 'the body must be a JSON fault'
    return json(400, { error: 'invalid_request', error_description: message }, NO_STORE)
  }
}

/**
 * `/test/faults`: list (GET), inject (POST a fault as JSON) and clear (DELETE) faults over HTTP.
 * @example
 * ```ts
 * const routes = [...testFaultRoutes, ...tokenRoutes]
 * ```
 */
export const testFaultRoutes: readonly Route[] = [
  {
    name: 'faults',
    endpoint: 'test',
    sameOriginOnly: true,
    match: (path) => (path.first === 'test' && path.tail === 'faults' ? { tenant: undefined } : undefined),
    faultExempt: true,
    handle: (request, emulator) => faultControl(request.method, request.body, emulator),
  },
]
