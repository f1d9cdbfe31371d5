/**
 * Entry point of a scenario process: reads its spec, builds the contender, runs the scenario, reports back.
 * Started by the harness only (`node --expose-gc --conditions=@onbehalf/source --import tsx src/child.ts`).
 *
 * @module
 */
import { childSpecVariable, type ChildSpec } from './child-protocol.ts'
import { createContender } from './contenders/index.ts'
import { connectToParent, reportOutcome } from './parent-client.ts'
import { runCacheHits } from './scenarios/cache-hits.ts'
import { runCold } from './scenarios/cold.ts'
import { runHerd } from './scenarios/herd.ts'
import { runMemory } from './scenarios/memory.ts'
import { runPerRequest } from './scenarios/per-request.ts'
import { runProtectedApi } from './scenarios/protected-api.ts'

function numberParam(spec: ChildSpec, name: string): number {
  const value = spec.params[name]
  if (typeof value !== 'number') throw new Error(`missing numeric parameter ${name}`)
  return value
}

function listParam(spec: ChildSpec, name: string): readonly number[] {
  const value = spec.params[name]
  if (!Array.isArray(value)) throw new Error(`missing list parameter ${name}`)
  return value as readonly number[]
}

async function run(spec: ChildSpec): Promise<unknown> {
  const parent = connectToParent()
  if (spec.scenario === 'protected-api') {
    const { createProtectedTier } = await import('./contenders/protected-tier.ts')
    return runProtectedApi(await createProtectedTier(spec.contender, spec.emulator), parent, {
      users: numberParam(spec, 'users'),
      maxSamples: numberParam(spec, 'maxSamples'),
      minSamples: numberParam(spec, 'minSamples'),
      budgetMs: numberParam(spec, 'budgetMs'),
      warmupMs: numberParam(spec, 'warmupMs'),
    })
  }
  const contender = await createContender(spec.contender, spec.emulator, {
    maxEntries: numberParam(spec, 'maxEntries'),
  })
  switch (spec.scenario) {
    case 'cache-hits':
      return runCacheHits(contender, parent, {
        sizes: listParam(spec, 'sizes'),
        realUsers: numberParam(spec, 'realUsers'),
        capMs: numberParam(spec, 'capMs'),
        maxSamples: numberParam(spec, 'maxSamples'),
        minSamples: numberParam(spec, 'minSamples'),
        budgetMs: numberParam(spec, 'budgetMs'),
        warmupMs: numberParam(spec, 'warmupMs'),
      })
    case 'per-request':
      return runPerRequest(contender, parent, { calls: numberParam(spec, 'calls') })
    case 'herd':
      return runHerd(contender, parent, { concurrency: numberParam(spec, 'concurrency') })
    case 'cold':
      return runCold(contender, parent)
    case 'memory':
      return runMemory(contender, parent, {
        sizes: listParam(spec, 'sizes'),
        batch: numberParam(spec, 'batch'),
      })
  }
}

const raw = process.env[childSpecVariable]
if (raw === undefined) {
  process.stderr.write('child.ts is started by the benchmark harness (pnpm bench:compare).\n')
  process.exit(2)
}
try {
  const result = await run(JSON.parse(raw) as ChildSpec)
  await reportOutcome({ type: 'result', result })
  process.exit(0)
} catch (error) {
  await reportOutcome({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  })
  process.exit(1)
}
