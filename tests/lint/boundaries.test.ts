import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The module table of docs/architecture.md is enforced by ESLint rules (eslint.config.js). These cases
 * lint small in-memory files placed in each folder, so a refactor of the config cannot silently drop a
 * rule; and the table itself is read back, so the documentation and the rules say the same thing.
 * The expectations below are written out independently of the config on purpose.
 */
const eslint = new ESLint({ cwd: process.cwd() });
const RULE = '@typescript-eslint/no-restricted-imports';

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result?.messages.find((m) => m.fatal);
  if (fatal) throw new Error(`${filePath} did not parse: ${fatal.message}`);
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}
const importOf = (source: string) => `import { x } from '${source}';\nconsole.log(x);\n`;

const LIB = [
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

/** Folders of src/lib/ each row may import without restriction. */
const MAY: Record<string, string[]> = {
  protocol: [],
  util: [],
  worklet: ['protocol'],
  audio: ['protocol', 'util'],
  net: ['protocol', 'util'],
  sync: ['protocol', 'util'],
  session: ['net', 'sync', 'audio', 'recording', 'protocol', 'util'],
  pb: ['protocol', 'i18n'],
  recording: ['protocol', 'util'],
  state: ['protocol', 'util', 'worklet', 'audio', 'net', 'sync', 'session', 'pb', 'recording', 'i18n'],
  components: ['i18n'],
  // The catalogues and the translator context: every layer that words things may use them.
  i18n: [],
  routes: ['state', 'components', 'pb', 'session', 'protocol', 'i18n'],
};
/** Folders a row may import only in part (tested case by case below). */
const PARTLY: Record<string, string[]> = {
  audio: ['worklet'],
  recording: ['pb'],
  state: ['components'],
  routes: ['audio'],
};
/** Modules that import only by relative path (no package, no alias): the relay and the worklet compile them. */
const PURE = ['protocol', 'util', 'worklet'];

/** `source` as a file in `folder` names lib folder `target`: by alias and relative from one level down. */
const sources = (folder: string, target: string) =>
  folder === 'routes'
    ? [`$lib/${target}/probe`, `../../../lib/${target}/probe`]
    : [`$lib/${target}/probe`, `../${target}/probe`];
const probeIn = (folder: string) =>
  folder === 'routes' ? 'src/routes/s/[slug]/probe.ts' : `src/lib/${folder}/probe.ts`;

describe('import boundaries: every row of the module table', () => {
  it.each(Object.keys(MAY))('%s/ imports only what its row allows', { timeout: 60_000 }, async (folder) => {
    const wrong: string[] = [];
    for (const target of LIB) {
      if (target === folder || PARTLY[folder]?.includes(target)) continue;
      const allowed = MAY[folder]!.includes(target);
      for (const source of sources(folder, target)) {
        const messages = await restrictedImports(probeIn(folder), importOf(source));
        // Pure modules refuse aliases even to folders they may import.
        const expectRefused = !allowed || (PURE.includes(folder) && source.startsWith('$lib'));
        if (messages.length > 0 !== expectRefused)
          wrong.push(`${source}: ${messages.join(' | ') || 'allowed'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('audio/ takes from worklet/ only module URLs and dsp/ kernels', async () => {
    const audio = (source: string, file = 'src/lib/audio/probe.ts') =>
      restrictedImports(file, importOf(source));
    expect(await audio('../worklet/capture-processor.ts?worker&url')).toEqual([]);
    expect(await audio('../../worklet/dsp/impulse', 'src/lib/audio/worker/probe.ts')).toEqual([]);
    expect(await audio('$lib/worklet/dsp/mixer')).toEqual([]);
    expect(await audio('../worklet/capture-processor')).toHaveLength(1);
    expect(await audio('../../worklet/engine-port', 'src/lib/audio/worker/probe.ts')).toHaveLength(1);
    expect(await audio('$lib/worklet')).toHaveLength(1);
  });

  it('state/ names component prop types, never components', async () => {
    const file = 'src/lib/state/probe.ts';
    const typeOnly =
      "import type { MeterReading } from '../components/Meter.svelte';\nexport type M = MeterReading;\n";
    expect(await restrictedImports(file, typeOnly)).toEqual([]);
    expect(await restrictedImports(file, importOf('../components/Meter.svelte'))).toHaveLength(1);
  });

  it('recording/ names pb/ record types, never pb/ code', async () => {
    const file = 'src/lib/recording/probe.ts';
    const typeOnly =
      "import type { RecordingsRecord } from '../pb/types';\nexport type R = RecordingsRecord;\n";
    expect(await restrictedImports(file, typeOnly)).toEqual([]);
    expect(await restrictedImports(file, importOf('../pb/client'))).toHaveLength(1);
    expect(await restrictedImports(file, importOf('$lib/pb/types'))).toHaveLength(1);
    // Its subfolders reach the lib folders two levels up, under the same rule.
    expect(
      await restrictedImports('src/lib/recording/formats/probe.ts', importOf('../../audio/x')),
    ).toHaveLength(1);
    expect(
      await restrictedImports('src/lib/recording/formats/probe.ts', importOf('../../protocol/x')),
    ).toEqual([]);
  });

  it('pages take from audio/ only the bundler entry points (assets)', async () => {
    const file = probeIn('routes');
    expect(await restrictedImports(file, importOf('$lib/audio/assets'))).toEqual([]);
    expect(await restrictedImports(file, importOf('$lib/audio/engine'))).toHaveLength(1);
    expect(await restrictedImports(file, importOf('$lib/audio/worker/audio-net'))).toHaveLength(1);
  });

  it(
    'keeps components away from net, audio, sync, session, pb and recording in .svelte files too',
    { timeout: 60_000 },
    async () => {
      const dirs = [
        'net/mesh',
        'audio/engine',
        'sync/studio-sync',
        'session/studio-session',
        'pb/client',
        'recording/upload',
      ];
      const imports = dirs.map((dir, i) => `import { x${i} } from '$lib/${dir}';`).join(' ');
      const messages = await restrictedImports(
        // An existing file, so the TypeScript project service knows it; the text linted is the probe's.
        'src/lib/components/StudioList.svelte',
        `<script lang="ts">${imports} console.log(${dirs.map((_, i) => `x${i}`).join(', ')});</script>`,
      );
      expect(messages).toHaveLength(dirs.length);
    },
  );

  it('no lib folder imports pages, the relay or (outside state/) SvelteKit', async () => {
    for (const folder of LIB) {
      const file = probeIn(folder);
      expect(await restrictedImports(file, importOf('../../routes/s/[slug]/probe')), folder).not.toEqual([]);
      expect(await restrictedImports(file, importOf('../../../relay/src/main')), folder).not.toEqual([]);
      const svelteKit = await restrictedImports(file, importOf('$app/navigation'));
      expect(svelteKit.length > 0, folder).toBe(folder !== 'state');
    }
    expect(await restrictedImports(probeIn('routes'), importOf('$app/navigation'))).toEqual([]);
    expect(await restrictedImports(probeIn('routes'), importOf('../../../../relay/src/main'))).toHaveLength(
      1,
    );
  });

  it('pure modules import no package; their tests may', async () => {
    for (const folder of PURE) {
      expect(
        await restrictedImports(`src/lib/${folder}/probe.ts`, importOf('libopus-wasm')),
        folder,
      ).toHaveLength(1);
      expect(await restrictedImports(`src/lib/${folder}/probe.test.ts`, importOf('vitest')), folder).toEqual(
        [],
      );
      expect(
        await restrictedImports(`src/lib/${folder}/probe.test.ts`, importOf('../session/x')),
        folder,
      ).not.toEqual([]);
    }
    expect(await restrictedImports('src/lib/worklet/dsp/probe.sim.ts', importOf('node:fs'))).toEqual([]);
    expect(await restrictedImports('src/lib/protocol/probe.ts', importOf('./errors.js'))).toEqual([]);
  });

  it('lets only sync/ import yjs, y-protocols and lib0', async () => {
    const packages = ['yjs', 'y-protocols/sync', 'lib0/encoding'];
    for (const folder of [...LIB, 'routes']) {
      for (const name of packages) {
        const messages = await restrictedImports(probeIn(folder), importOf(name));
        expect(messages.length > 0, `${folder} ← ${name}`).toBe(folder !== 'sync');
      }
    }
    expect(await restrictedImports('relay/src/probe.ts', importOf('yjs'))).toHaveLength(1);
  });

  it('keeps the relay on protocol/ only', async () => {
    expect(
      await restrictedImports('relay/src/probe.ts', importOf('../../src/lib/sync/studio-sync.js')),
    ).toHaveLength(1);
    expect(await restrictedImports('relay/src/probe.ts', importOf('$lib/protocol/errors'))).toHaveLength(1);
    expect(
      await restrictedImports('relay/src/probe.ts', importOf('../../src/lib/protocol/errors.js')),
    ).toEqual([]);
  });
});

describe('docs/architecture.md module table', () => {
  /** Each row's folder and the lib folders its "may import" cell names in backticks. */
  function table(): Map<string, string[]> {
    const doc = readFileSync('docs/architecture.md', 'utf8');
    const section = doc.slice(doc.indexOf('## Modules and their boundaries'));
    const rows = new Map<string, string[]>();
    for (const line of section.split('\n').slice(1)) {
      if (line.startsWith('## ')) break;
      const cells = line.split('|').map((c) => c.trim());
      const folder = /^`src\/(?:lib\/)?([a-z0-9]+)\/`$/.exec(cells[1] ?? '')?.[1];
      if (!folder) continue;
      const named = [...(cells[3] ?? '').matchAll(/`([a-z0-9]+)`/g)].map((m) => m[1]!);
      rows.set(folder, [...new Set(named.filter((f) => LIB.includes(f) && f !== folder))].sort());
    }
    return rows;
  }

  it('has a row for every folder the rules cover, naming exactly what the rules allow', () => {
    const rows = table();
    expect([...rows.keys()].sort()).toEqual(Object.keys(MAY).sort());
    for (const [folder, named] of rows) {
      expect(named, folder).toEqual([...MAY[folder]!, ...(PARTLY[folder] ?? [])].sort());
    }
  });
});
