/**
 * Shared Vitest settings: resolve workspace packages to their TypeScript sources (the `@onbehalf/source`
 * export condition), so tests never run against a stale `dist`.
 */
const conditions = ['@onbehalf/source', 'node', 'import', 'module', 'default']

export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@onbehalf/source'] } },
}
