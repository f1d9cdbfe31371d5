import { defineProject } from 'vitest/config'
import { sourceConditions, typeTests } from '../../vitest.shared.ts'

export default defineProject({
  ...sourceConditions,
  test: { name: 'azure', ...typeTests },
})
