import { configDefaults, defineProject } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  // known-bugs/ holds failing tests of defects reported to their owners; run them with vitest.known-bugs.config.ts.
  test: { name: 'reliability', exclude: [...configDefaults.exclude, 'known-bugs/**'] },
})
