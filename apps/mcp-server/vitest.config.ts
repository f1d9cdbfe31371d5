import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // Real servers, an emulator over HTTPS and 100 concurrent calls on a shared machine: generous, never a verdict.
  test: { name: 'mcp-server', testTimeout: 60_000, hookTimeout: 60_000 },
})
