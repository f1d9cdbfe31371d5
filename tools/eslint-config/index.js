// The shared flat config. It lives in its own private package so that typescript-eslint resolves
// TypeScript 5.9 (which has the compiler API) while the builds use TypeScript 7's native tsc.
//
// `no-restricted-imports` is one rule: a later block that sets it replaces an earlier block's options for the
// files both match. So every block below is built from the same parts by `restrictImports()`, and no two blocks
// that set it overlap except where the later one is meant to win (and then it repeats the deep-import guard).
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/** Nobody imports another package's sources or tests by path: workspace packages are imported by name. */
const deepImportMessage = 'Import workspace packages by name (shared test helpers live in @onbehalf/test-kit).'
const deepImports = [
  { group: ['@onbehalf/*/src/*', '@onbehalf/*/test/*'], message: deepImportMessage },
  // `../../redis/test/x.ts` from packages/jose/test, `../../../packages/redis/src/x.ts` from tests/reliability/src.
  { regex: '^(\\.\\./)+(packages|apps|tests|tools|benchmarks)/', message: deepImportMessage },
  { regex: '^\\.\\./\\.\\./(?!\\.\\.)[^/]+/(src|test)/', message: deepImportMessage },
]
const nodeOnly =
  'Web-standard package: no Node-only module in src (only the *-node.ts modules chosen by the `node` condition).'
const nodeBuiltins = {
  group: ['node:*'],
  message: nodeOnly,
  // Bare built-in names (`crypto`, `fs/promises`) match exactly, so `./path.ts` is never caught.
  paths: builtinModules.map((name) => ({ name, message: nodeOnly })),
}
const otherAdapters = (...names) => ({
  group: names.map((name) => `@onbehalf/${name}`),
  message: 'Adapters never import each other; core imports nothing from the workspace.',
})

/** The `no-restricted-imports` rule with the deep-import guard plus `extra` patterns. */
function restrictImports(...extra) {
  const patterns = [...deepImports, ...extra.map(({ group, message }) => ({ group, message }))]
  const paths = extra.flatMap((part) => part.paths ?? [])
  return { 'no-restricted-imports': ['error', { patterns, paths }] }
}

/** Node-only globals that a Web-standard runtime (browsers, Workers, Deno, edge) does not have. */
const nodeGlobals = ['Buffer', 'process', 'global', 'require', 'module', '__dirname', '__filename']
  .concat(['setImmediate', 'clearImmediate'])
  .map((name) => ({ name, message: 'Web-standard package: this global exists only on Node.' }))

const webOnlySources = ['packages/core/src/**/*.ts', 'packages/jose/src/**/*.ts', 'packages/certificate/src/**/*.ts']
const tests = ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts', '**/*.bench.ts']

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))

export default tseslint.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', '**/.ci/**', 'docs/benchmarks/**', 'docs/api/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The root's Vitest files belong to no package's tsconfig.
        projectService: { allowDefaultProject: ['vitest.config.ts', 'vitest.shared.ts'] },
        // Patterns above are relative to the repository root, whichever package's lint runs.
        tsconfigRootDir: repositoryRoot,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // `catch (error)` then `reject(error)` passes an unknown on unchanged: allowed, anything else must be an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      curly: ['error', 'multi-line'],
      ...restrictImports(),
    },
  },
  {
    // Scripts, bins and config files: plain JavaScript on Node, linted without type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node, sourceType: 'module', ecmaVersion: 'latest' },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      curly: ['error', 'multi-line'],
      ...restrictImports(),
    },
  },
  {
    // The demo's page script runs in the browser.
    files: ['apps/demo/src/web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: restrictImports(nodeBuiltins, {
      group: ['@onbehalf/*'],
      message: 'core imports nothing from the workspace.',
    }),
  },
  {
    files: ['packages/jose/src/**/*.ts'],
    rules: restrictImports(nodeBuiltins, otherAdapters('msal', 'azure', 'redis')),
  },
  {
    files: ['packages/certificate/src/**/*.ts'],
    rules: restrictImports(nodeBuiltins, otherAdapters('jose', 'msal', 'azure', 'redis')),
  },
  {
    files: ['packages/msal/src/**/*.ts'],
    rules: restrictImports(otherAdapters('jose', 'azure', 'redis')),
  },
  {
    files: ['packages/entra-emulator/src/**/*.ts'],
    rules: restrictImports({ group: ['@onbehalf/*'], message: 'The emulator imports no workspace package.' }),
  },
  {
    // Web-standard promise of core, jose and certificate: no Node-only globals either.
    files: webOnlySources,
    ignores: tests,
    rules: { 'no-restricted-globals': ['error', ...nodeGlobals] },
  },
  {
    // The Node-specific modules: the `node` conditions of core's `#sha256` and `#diagnostics-channel`.
    files: ['packages/core/src/sha256-node.ts', 'packages/core/src/diagnostics-channel-node.ts'],
    rules: restrictImports({ group: ['@onbehalf/*'], message: 'core imports nothing from the workspace.' }),
  },
  {
    // Tests of the Web-standard packages may use Node to set up (files, child processes, servers).
    files: webOnlySources.map((glob) => glob.replace('**/*.ts', '**/*.test.ts')),
    rules: restrictImports(),
  },
  {
    files: [...tests, 'benchmarks/**/*.ts', 'apps/**/*.ts', 'tests/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fakes and stubs implement async interfaces (TokenEngine, RedisLike) with synchronous bodies on purpose.
      '@typescript-eslint/require-await': 'off',
      // Vitest's asymmetric matchers (expect.stringMatching, expect.objectContaining) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
)
