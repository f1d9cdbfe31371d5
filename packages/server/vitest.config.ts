import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // Real servers and an emulator over HTTPS on a shared machine: generous, never part of a verdict.
  test: { name: 'server', testTimeout: 30_000, hookTimeout: 30_000 },
})
