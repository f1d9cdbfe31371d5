import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // Real redis-server, emulator and child processes: start-up alone can take seconds on a busy machine.
  test: { name: 'redis', testTimeout: 30_000, hookTimeout: 30_000 },
})
