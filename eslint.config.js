import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/**
 * The import boundaries of docs/architecture.md, enforced here so a wrong import fails `npm test`:
 * components stay presentational, only sync/ knows Yjs, protocol/ stays pure, and the relay shares
 * nothing with the app but protocol/.
 */
const yjsOnlyInSync = {
  paths: [
    { name: 'yjs', message: 'Only src/lib/sync/ imports yjs; use its typed API.' },
    { name: 'y-protocols', message: 'Only src/lib/sync/ imports y-protocols.' },
  ],
  patterns: [{ group: ['y-protocols/*', 'y-webrtc'], message: 'Only src/lib/sync/ imports Yjs packages.' }],
};

export default ts.config(
  {
    ignores: [
      'build/',
      '.svelte-kit/',
      'relay/dist/',
      'node_modules/',
      'pocketbase/pb_data/',
      'test-results/',
      'playwright-report/',
      'bench/results/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  prettier,
  ...svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', yjsOnlyInSync],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The app is always served at the origin's root by PocketBase (no `paths.base`), so plain paths
      // are correct; wrapping every link and goto() in resolve() would add noise, not safety.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: ['.svelte'],
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    files: ['src/lib/sync/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/lib/components/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: yjsOnlyInSync.paths,
          patterns: [
            ...yjsOnlyInSync.patterns,
            {
              regex: '(^|/)(net|audio|sync|session|pb)(/|$)',
              message:
                'Components are presentational: take state from props or context, not from net/, audio/, sync/, session/ or pb/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/lib/protocol/**'],
    ignores: ['src/lib/protocol/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./)',
              message: 'protocol/ is pure and dependency-free: import only its own files.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['relay/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: yjsOnlyInSync.paths,
          patterns: [
            ...yjsOnlyInSync.patterns,
            {
              regex: '^(\\.\\./)+src/(?!lib/protocol/)',
              message: 'The relay shares only src/lib/protocol/ with the app.',
            },
            {
              regex: '^\\$lib',
              message: 'The relay shares only src/lib/protocol/ with the app, by relative path.',
            },
          ],
        },
      ],
    },
  },
);
