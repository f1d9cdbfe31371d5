import { defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

/**
 * Failing tests for defects found by the suite and reported to the owning packages. Each turns green when its
 * defect is fixed; then move it into test/. Run: `npx vitest run --config vitest.known-bugs.config.ts`.
 */
export default defineProject({
  ...sourceConditions,
  test: { name: 'reliability-known-bugs', include: ['known-bugs/**/*.test.ts'] },
})
