// ESLint flat config: typescript-eslint's recommended rules, without type-aware linting (no
// parserOptions.project: the whole repo lints in seconds), and eslint-config-prettier last so that
// layout is Prettier's alone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '**/*.d.ts',
    'packages/kernels/build/',
    '**/.cache/',
    '.nx/',
    'reports/',
    'coverage/',
    'examples/.generated-test-*/',
    // a deliberately unparsable plugin (the loader's syntax-error test)
    'packages/bench/test/fixtures/plugins/syntax.mjs',
  ]),
  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter, binding or rest sibling kept on purpose
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // the code uses `any` deliberately and rarely (`MethodPlugin<any>`: a list of plugins whose
      // params differ); a warning keeps new uses visible without failing the lint
      '@typescript-eslint/no-explicit-any': 'warn',
      // `a && b()` / `c ? x() : y()` as statements are a deliberate terse idiom here
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // type-only imports stay `import type` (or inline `type`), as the code already writes them;
      // `typeof import('m')` stays allowed (vitest's importActual/importOriginal generics)
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    // tests poke at parsed JSON and build ad-hoc plugins: `any` is fine there
    files: ['**/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
