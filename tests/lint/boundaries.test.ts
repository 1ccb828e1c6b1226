import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The architecture's import boundaries are ESLint rules (eslint.config.js). These cases prove the rules
 * fire, so a refactor of the config cannot silently drop them.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it('keep components away from net, audio, sync, session and pb', { timeout: 60_000 }, async () => {
    const dirs = ['net/mesh', 'audio/engine', 'sync/studio-sync', 'session/studio-session', 'pb/client'];
    const imports = dirs.map((dir, i) => `import { x${i} } from '$lib/${dir}';`).join(' ');
    const messages = await restrictedImports(
      // An existing file, so the TypeScript project service knows it; the text linted is the probe's.
      'src/lib/components/StudioList.svelte',
      `<script lang="ts">${imports} console.log(${dirs.map((_, i) => `x${i}`).join(', ')});</script>`,
    );
    expect(messages).toHaveLength(dirs.length);
  });

  it('let only sync/ import yjs', async () => {
    const code = "import * as Y from 'yjs'; console.log(Y);\n";
    expect(await restrictedImports('src/lib/state/probe.ts', code)).toHaveLength(1);
    expect(await restrictedImports('src/lib/net/probe.ts', code)).toHaveLength(1);
    expect(await restrictedImports('src/lib/sync/probe.ts', code)).toHaveLength(0);
  });

  it('keep protocol/ pure and the relay on protocol/ only', async () => {
    expect(
      await restrictedImports('src/lib/protocol/probe.ts', "import { x } from '../net/mesh'; x;\n"),
    ).toHaveLength(1);
    expect(
      await restrictedImports('src/lib/protocol/probe.ts', "import { x } from './errors.js'; x;\n"),
    ).toHaveLength(0);
    const fromRelay = (path: string) => `import { x } from '${path}'; x;\n`;
    expect(
      await restrictedImports('relay/src/probe.ts', fromRelay('../../src/lib/sync/studio-sync.js')),
    ).toHaveLength(1);
    expect(await restrictedImports('relay/src/probe.ts', fromRelay('$lib/protocol/errors'))).toHaveLength(1);
    expect(
      await restrictedImports('relay/src/probe.ts', fromRelay('../../src/lib/protocol/errors.js')),
    ).toHaveLength(0);
  });
});
