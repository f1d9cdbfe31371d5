import { defineProject } from 'vitest/config'
import { sourceConditions, typeTests } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // Real emulator over HTTPS and real token files: start-up alone can take seconds on a busy machine.
  // One file at a time: the load tests' bursts should not compete with the other files for the CPU.
  test: { name: 'federated', testTimeout: 30_000, hookTimeout: 60_000, fileParallelism: false, ...typeTests },
})
