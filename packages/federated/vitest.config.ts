import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // Real emulator over HTTPS and real token files: start-up alone can take seconds on a busy machine.
  test: { name: 'federated', testTimeout: 30_000, hookTimeout: 30_000 },
})
