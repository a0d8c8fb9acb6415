// ESLint (flat config): typescript-eslint's recommended rules, and the layers' import boundaries.
// `npm run lint` runs it with `prettier --check`; `npm test` runs lint as a layer.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A layer may not import these: what it must not know about. */
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'runs/', '.test-artifacts/', 'test/fixtures/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Prettier's width; it cannot break a string or a template literal, so those may run past it.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  // The layers (docs/architecture.md): core knows no editor, no DOM, no CLI; the webview knows
  // only core's shared modules; the extension host never loads TensorFlow.js or the CLI; scripts
  // never reach into the tests.
  layer(
    ['src/core/**/*.ts'],
    ['vscode', '**/extension/**', '**/webview/**', '**/cli/**', '**/worker/**'],
    'src/core is the shared core: no vscode, no UI, no CLI (see docs/architecture.md).',
  ),
  layer(
    ['src/webview/**/*.ts'],
    ['vscode', '**/extension/**', '**/cli/**', '**/worker/**', '@tensorflow/*', 'node:*'],
    "src/webview runs in the page: it may import src/core's shared modules only (see docs/architecture.md).",
  ),
  layer(
    ['src/extension/**/*.ts'],
    ['**/cli/**', '**/webview/**', '**/worker/**', '@tensorflow/*'],
    'src/extension is the VS Code glue: no CLI, no webview code, no TensorFlow.js (see docs/architecture.md).',
  ),
  layer(
    ['src/cli/**/*.ts'],
    ['vscode', '**/extension/**', '**/webview/**', '**/worker/**'],
    'src/cli drives src/core only (see docs/architecture.md).',
  ),
  layer(
    ['src/worker/**/*.ts'],
    ['vscode', '**/extension/**', '**/webview/**', '**/cli/**'],
    'src/worker drives src/core only (see docs/architecture.md).',
  ),
  layer(['scripts/**/*.ts', 'scripts/**/*.mjs'], ['**/test/**'], 'scripts must not import the tests (see docs/architecture.md).'),
);
