import { defineProject } from 'vitest/config'

// The shared settings add the `module` condition, which picks @opentelemetry/api's bundler-only ESM build
// (extensionless imports Node cannot load): resolve as Node does, plus the workspace source condition.
const conditions = ['@onbehalf/source', 'node', 'import', 'default']

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@onbehalf/source'] } },
  // Real emulator over HTTPS and a real redis-server: start-up alone can take seconds on a busy machine.
  test: { name: 'opentelemetry', testTimeout: 30_000, hookTimeout: 60_000 },
})
