// Flat config: typescript-eslint's type-aware recommended rules plus prettier's "turn off
// formatting rules" so the two tools never disagree.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', '.tmp/**', 'k6/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    // The manager must never load application code (docs/architecture.md: dependency direction).
    files: ['src/manager/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['../app/*', '../worker/*', 'koa', '@koa/*'] },
      ],
    },
  },
  {
    files: ['src/app/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../manager/*'] }],
    },
  },
  prettier,
);
