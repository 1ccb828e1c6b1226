import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchBuild } from '../../scripts/lib/bench-build.mjs';
import { startStack } from '../../scripts/lib/stack.mjs';
import { freePort } from '../support/ports';

/**
 * Starts the real stack (PocketBase serving the built app, and the relay) on free loopback ports with a
 * throw-away data directory; the returned function stops it and removes the data. The app is the bench
 * build: the same code as production plus the hooks tests read (`window.__bandmesh`: detected sound,
 * diagnostics), which the production build does not contain (tests/integration/production-build.test.ts).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bandmesh-e2e-'));
  const stack = await startStack({
    httpPort: await freePort(),
    relayPort: await freePort(),
    dataDir,
    publicDir: await ensureBenchBuild(),
    quiet: !process.env.BANDMESH_E2E_VERBOSE,
  });
  process.env.BANDMESH_E2E_URL = stack.url;
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
