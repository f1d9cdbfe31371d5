// The shared flat config. It lives in its own private package so that typescript-eslint resolves
// TypeScript 5.9 (which has the compiler API) while the builds use TypeScript 7's native tsc.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const webOnly = ['packages/core/src/**/*.ts', 'packages/certificate/src/**/*.ts', 'packages/jose/src/**/*.ts']

export default tseslint.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      curly: ['error', 'multi-line'],
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['@onbehalf/*/src/*', '../../*/src/*'], message: 'Import workspace packages by name.' }],
        },
      ],
    },
  },
  {
    // Adapters never import each other; core imports nothing from the workspace.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@onbehalf/*'], message: 'core imports nothing from the workspace.' }] },
      ],
    },
  },
  {
    files: ['packages/jose/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@onbehalf/msal', '@onbehalf/azure', '@onbehalf/redis', 'node:*'],
              message: 'jose is web-standard and imports no other adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/msal/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@onbehalf/jose', '@onbehalf/azure', '@onbehalf/redis'],
              message: 'Adapters never import each other.',
            },
          ],
        },
      ],
    },
  },
  {
    files: webOnly.filter((glob) => !glob.includes('core')),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '@onbehalf/msal', '@onbehalf/azure', '@onbehalf/redis'],
              message: 'Web-standard package: no Node-only APIs in src, no other adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/entra-emulator/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@onbehalf/*'], message: 'The emulator imports no workspace package.' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'benchmarks/**/*.ts', 'apps/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
)
