import { defineProject } from 'vitest/config'
import { sourceConditions, typeTests } from '../../vitest.shared.ts'

// Express's router require()s `is-promise`, whose exports map answers the `import` condition with ESM: with
// `import` among the forced conditions, that require() gets a namespace instead of the function. Vite adds
// `import`/`require` by itself, so it is left out here.
const conditions = ['@onbehalf/source', 'node', 'module', 'default']

export default defineProject({
  ...sourceConditions,
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@onbehalf/source'] } },
  // Real servers and an emulator over HTTPS on a shared machine: generous, never part of a verdict.
  test: { name: 'server', testTimeout: 30_000, hookTimeout: 30_000, ...typeTests },
})
