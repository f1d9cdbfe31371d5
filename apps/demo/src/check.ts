/**
 * `pnpm demo:check`: starts the whole stack in this process on free ports, runs every scenario through HTTP,
 * prints each step, and exits 0 only if all of them behaved.
 *
 * @module
 */
import { runScenarios } from './scenarios.ts'
import { startDemoStack } from './stack.ts'

const startedAt = performance.now()
// Scenarios need the emulator: the check ignores real-tenant variables, but honours REDIS_URL and the engine.
const env = {
  REDIS_URL: process.env['REDIS_URL'],
  TOKEN_CACHE_KEY: process.env['TOKEN_CACHE_KEY'],
  ONBEHALF_ENGINE: process.env['ONBEHALF_ENGINE'],
}
const stack = await startDemoStack({ env })
let failed = 0
try {
  console.log(`demo:check against ${stack.url} (${stack.identity.mode}, ${stack.cacheKind} cache)`)
  const results = await runScenarios(stack, (step) => {
    console.log(`${step.ok ? '✔' : '✘'} ${step.name}\n    ${step.detail}`)
  })
  failed = results.filter((r) => !r.ok).length
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1)
  console.log(
    failed === 0
      ? `\nAll ${String(results.length)} steps passed in ${seconds} s.`
      : `\n${String(failed)} of ${String(results.length)} steps failed.`,
  )
} finally {
  await stack.close()
}
process.exitCode = failed === 0 ? 0 : 1
