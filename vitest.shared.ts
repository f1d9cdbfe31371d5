/**
 * Shared Vitest settings: resolve workspace packages to their TypeScript sources (the `@onbehalf/source`
 * export condition), so tests never run against a stale `dist`.
 *
 * `ONBEHALF_INTEROP_MODULES` (set only by `scripts/interop-latest.mjs`) maps client package names to other
 * copies of them, so the interop suites run against the newest `@azure/identity` and `@azure/msal-node`.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const conditions = ['@onbehalf/source', 'node', 'import', 'module', 'default']

const interopModules = JSON.parse(process.env['ONBEHALF_INTEROP_MODULES'] ?? '{}') as Record<string, string>
const alias = Object.entries(interopModules).map(([name, file]) => ({
  find: new RegExp(`^${name.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')}$`),
  replacement: file,
}))

export const sourceConditions = {
  resolve: { conditions, alias },
  ssr: { resolve: { conditions, externalConditions: ['@onbehalf/source'] } },
}

/**
 * Type tests: `test/**\/*.test-d.ts` files, run by Vitest's typecheck mode (`expectTypeOf`, `@ts-expect-error`);
 * a type error inside a test fails that test in the JSON report. Each package's project checks them with its own
 * strict settings (`exactOptionalPropertyTypes: true`) and the workspace's TypeScript 7 `tsc`, named by path so
 * no other `tsc` on `PATH` is picked; the root's `types-loose` project checks the same files again with
 * `exactOptionalPropertyTypes: false` (what most users have) and TypeScript 5.9 (what most users run).
 */
const root = fileURLToPath(new URL('.', import.meta.url))
const spawnTimeout = 120_000 // tsc starts slowly on a loaded machine; Vitest's default (10 s) fails the run.

export const typeTests = {
  typecheck: {
    enabled: true,
    include: ['test/**/*.test-d.ts'],
    tsconfig: 'test/tsconfig.types.json',
    checker: join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    spawnTimeout,
  },
}

/** The root project that checks every package's type tests with `exactOptionalPropertyTypes: false` on TS 5.9. */
export const looseTypeTestsProject = {
  test: {
    name: 'types-loose',
    root,
    include: [],
    typecheck: {
      enabled: true,
      only: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: 'tsconfig.types-loose.json',
      checker: createRequire(join(root, 'tools', 'api-docs', 'package.json')).resolve('typescript/bin/tsc'),
      spawnTimeout,
    },
  },
}
