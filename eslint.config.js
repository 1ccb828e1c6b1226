import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/**
 * The module boundaries of docs/architecture.md ("Modules and their boundaries"): one block per row of
 * its table, so a wrong import fails `npm test`; tests/lint/boundaries.test.ts proves every one fires.
 * One rule carries them all, typescript-eslint's `no-restricted-imports` (the core rule plus type-only
 * exceptions). A later block replaces a rule's options rather than merging them, so each block states
 * its folder's whole list.
 */
const RULE = '@typescript-eslint/no-restricted-imports';
const TABLE = 'see the module table in docs/architecture.md';
const LIB_FOLDERS = [
  'protocol',
  'util',
  'worklet',
  'audio',
  'net',
  'sync',
  'session',
  'pb',
  'recording',
  'state',
  'components',
  'i18n',
];

/** Only sync/ imports Yjs and its wire libraries (lib0 is the encoding y-protocols speaks). */
const yjsPaths = [
  { name: 'yjs', message: 'Only src/lib/sync/ imports yjs; use its typed API.' },
  { name: 'y-protocols', message: 'Only src/lib/sync/ imports y-protocols.' },
  { name: 'lib0', message: 'Only src/lib/sync/ imports lib0 (the Yjs encoding library).' },
];
const yjsPatterns = [
  { regex: '^(y-protocols|lib0|y-webrtc)(/|$)', message: 'Only src/lib/sync/ imports Yjs packages.' },
];

/**
 * src/lib/ folders as an import inside src/lib/ names them: `$lib/<folder>`, or `../<folder>` from one
 * level down and `../../<folder>` from two (audio/worker/, worklet/dsp/, recording/formats/). A
 * subfolder named like a lib folder would also match: components/recording/ is one, but components
 * reach it as `./recording/` (not matched) and nothing reaches it as `../recording/`.
 */
const fromLib = (folders) => `^(\\$lib/|(\\.\\./)+)(${folders.join('|')})(/|$)`;
/** The same folders as src/routes/ names them: `$lib/<folder>` or `../../lib/<folder>`. */
const fromRoutes = (folders) => `^(\\$lib/|(\\.\\./)+lib/)(${folders.join('|')})(/|$)`;

const noRelay = {
  regex: '^(\\.\\./)+relay/',
  message: 'The app does not import relay/ (another program): share contracts through src/lib/protocol/.',
};
const noRoutes = {
  regex: '^(\\.\\./)+routes(/|$)',
  message: `src/lib/ never imports src/routes/ (${TABLE}).`,
};
const noSvelteKit = {
  regex: '^\\$app/',
  message: `SvelteKit's $app modules belong to state/ and routes/ (${TABLE}).`,
};

/** One rule entry: the Yjs restriction (unless lifted) plus `patterns`. */
const restrict = (patterns, { yjs = true } = {}) => ({
  [RULE]: ['error', { paths: yjs ? yjsPaths : [], patterns: [...(yjs ? yjsPatterns : []), ...patterns] }],
});

/**
 * The blocks of one row: files in src/lib/<folder>/ may import the lib folders in `may` (and their own).
 * `pure` modules (protocol/, util/, worklet/) also import no package and no alias, only relative paths:
 * the relay's and the worklet's tsconfigs compile protocol/ and worklet/ without Vite's aliases, and
 * util/ is the table's "nothing outside itself". Their tests and simulations run under vitest in Node
 * and may import test packages, but still respect the folder boundaries.
 */
function boundary(folder, may, { allowed, extra = [], pure, yjs = true, svelteKit = false } = {}) {
  const others = LIB_FOLDERS.filter((f) => f !== folder && !may.includes(f));
  const list = allowed ?? (may.length ? may.map((f) => `${f}/`).join(', ') : 'nothing outside itself');
  const patterns = [
    noRelay,
    noRoutes,
    ...(svelteKit ? [] : [noSvelteKit]),
    ...(others.length
      ? [{ regex: fromLib(others), message: `${folder}/ may import only ${list} (${TABLE}).` }]
      : []),
    ...extra,
  ];
  const files = [`src/lib/${folder}/**`];
  const blocks = [{ files, rules: restrict(patterns, { yjs }) }];
  if (pure) {
    blocks.push({
      files,
      ignores: [`src/lib/${folder}/**/*.test.ts`, `src/lib/${folder}/**/*.sim.ts`],
      rules: restrict([...patterns, { regex: pure.regex, message: pure.message }], { yjs }),
    });
  }
  return blocks;
}

const boundaries = [
  // One exception: sealed-frame.ts seals audio frames with @noble/ciphers (pure, synchronous JS, no
  // dependencies of its own), so the Worker and its tests share one implementation of the wire format.
  ...boundary('protocol', [], {
    pure: {
      regex: '^(?!\\./|@noble/ciphers/)',
      message: 'protocol/ is pure and dependency-free: import only its own files (and @noble/ciphers).',
    },
  }),
  ...boundary('util', [], {
    pure: { regex: '^(?!\\./)', message: 'util/ is dependency-free: import only its own files.' },
  }),
  ...boundary('worklet', ['protocol'], {
    pure: {
      regex: '^(?!\\.\\.?/)',
      message:
        'worklet/ runs on the audio thread: no packages or aliases, only relative imports of itself and protocol/.',
    },
  }),
  // The engine loads the worklet modules by URL, and the audio Worker runs the pure impulse detector.
  ...boundary('audio', ['protocol', 'util', 'worklet'], {
    allowed: 'protocol/, util/, and from worklet/ only module URLs (?worker&url) and dsp/ kernels',
    extra: [
      {
        regex: '^(\\$lib/|(\\.\\./)+)worklet(/(?!dsp/)(?!.*\\?worker&url$)|$)',
        message: `audio/ takes from worklet/ only processor module URLs (?worker&url) and pure dsp/ kernels (${TABLE}).`,
      },
    ],
  }),
  ...boundary('net', ['protocol', 'util']),
  ...boundary('sync', ['protocol', 'util'], { yjs: false }),
  ...boundary('session', ['net', 'sync', 'audio', 'recording', 'protocol', 'util']),
  ...boundary('pb', ['protocol', 'i18n']),
  // The upload client talks to PocketBase through the SDK itself and names pb/'s record types only.
  ...boundary('recording', ['protocol', 'util', 'pb'], {
    allowed: 'protocol/, util/, and from pb/ only types (import type)',
    extra: [
      {
        regex: fromLib(['pb']),
        allowTypeImports: true,
        message: `recording/ may import only types from pb/ (its record types) (${TABLE}).`,
      },
    ],
  }),
  // state/ adapts everything below it to runes; it names component prop types, never components.
  ...boundary(
    'state',
    [
      'protocol',
      'util',
      'worklet',
      'audio',
      'net',
      'sync',
      'session',
      'pb',
      'recording',
      'components',
      'i18n',
    ],
    {
      svelteKit: true,
      extra: [
        {
          regex: fromLib(['components']),
          allowTypeImports: true,
          message: `state/ may import only types from components/ (their props), never components (${TABLE}).`,
        },
      ],
    },
  ),
  // i18n/ holds the catalogues and the translator context; every layer may word things through it.
  ...boundary('i18n', []),
  ...boundary('components', ['i18n'], { allowed: 'other components and i18n/ (the translator)' }),
  {
    files: ['src/routes/**'],
    rules: restrict([
      noRelay,
      {
        regex: fromRoutes(['net', 'sync', 'worklet', 'util', 'recording']),
        message: `Pages compose state/, components/, pb/, session/ and protocol/ only (${TABLE}).`,
      },
      {
        regex: '^(\\$lib/|(\\.\\./)+lib/)audio(/(?!assets(\\.ts|\\.js)?$)|$)',
        message: `Pages take from audio/ only assets (the audio threads' bundler entry points) (${TABLE}).`,
      },
    ]),
  },
  {
    files: ['relay/**'],
    rules: restrict([
      {
        regex: '^(\\.\\./)+src/(?!lib/protocol/)',
        message: 'The relay shares only src/lib/protocol/ with the app.',
      },
      {
        regex: '^\\$lib',
        message: 'The relay shares only src/lib/protocol/ with the app, by relative path.',
      },
    ]),
  },
];

export default ts.config(
  {
    ignores: [
      'build/',
      '.svelte-kit/',
      'bench/build/',
      'bench/.svelte-kit/',
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
  // Tests, benchmarks and scripts are not app modules: a hostile-client test may drive a raw Yjs doc.
  { files: ['src/**', 'relay/**'], rules: restrict([]) },
  ...boundaries,
);
