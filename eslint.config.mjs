// Lint: typescript-eslint's recommended rules, plus the layer rule of DESIGN.md:
// the engine (src/engine) never imports 'vscode' or UI code, so it runs unchanged
// in the CLI, in tests and in the extension.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'tools/**', 'dist-vsix/**', '.vscode-test/**', 'test-results/**', 'media/**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/engine is pure TypeScript: it must not import vscode (DESIGN.md, house rule 1).' }],
          patterns: [
            { group: ['**/extension', '**/tree/**', '**/commands/**', '**/webview/**', '**/fs/**', '**/cli/**'], message: 'src/engine must not import UI or CLI code.' },
          ],
        },
      ],
    },
  },
);
