/**
 * Shared Vitest settings: resolve workspace packages to their TypeScript sources (the `@onbehalf/source`
 * export condition), so tests never run against a stale `dist`.
 *
 * `ONBEHALF_INTEROP_MODULES` (set only by `scripts/interop-latest.mjs`) maps client package names to other
 * copies of them, so the interop suites run against the newest `@azure/identity` and `@azure/msal-node`.
 */
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
