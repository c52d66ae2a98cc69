// Flat config: typescript-eslint's type-aware recommended rules plus prettier's "turn off
// formatting rules" so the two tools never disagree. Which folder may import which is
// dependency-cruiser's job (.dependency-cruiser.mjs), also in `npm run lint`.
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
  prettier,
);
