import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // Whole scenario runs (emulator, two APIs, Redis) on a shared machine: a verdict never depends on speed.
  test: { name: 'demo', testTimeout: 60_000, hookTimeout: 60_000 },
})
