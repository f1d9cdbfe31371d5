import { defineConfig } from 'vitest/config'
import { looseTypeTestsProject } from './vitest.shared.ts'

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'benchmarks', 'tests/*', looseTypeTestsProject],
  },
})
