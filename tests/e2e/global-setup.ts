import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchBuild } from '../../scripts/lib/bench-build.mjs';
import { crowdRateLimitsEnv } from '../../scripts/lib/crowd-rate-limits.mjs';
import { startStack } from '../../scripts/lib/stack.mjs';
import { freePort } from '../support/ports';

/**
 * Starts the real stack (PocketBase serving the built app, and the relay) on free loopback ports with a
 * throw-away data directory; the returned function stops it and removes the data. The app is the bench
 * build: the same code as production plus the hooks tests read (`window.__bandmesh`: detected sound,
 * diagnostics), which the production build does not contain (tests/integration/production-build.test.ts).
 */
/** What specs need of the stack besides its URL, in environment variables (workers inherit them). */
export const E2E_ENV = {
  Url: 'BANDMESH_E2E_URL',
  /** The relay's HTTP base (control endpoint, /load, /rooms), e.g. for `forceRoomMode`. */
  RelayHttpUrl: 'BANDMESH_E2E_RELAY_HTTP_URL',
  /** The file holding the ticket secret, which also signs relay control messages. */
  TicketSecretFile: 'BANDMESH_E2E_TICKET_SECRET_FILE',
  DataDir: 'BANDMESH_E2E_DATA_DIR',
} as const;

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bandmesh-e2e-'));
  const relayPort = await freePort();
  const stack = await startStack({
    httpPort: await freePort(),
    relayPort,
    dataDir,
    publicDir: await ensureBenchBuild(),
    // Specs sign players up over REST and create studios at once; mail-verification.spec.ts runs a
    // stack of its own with the verified-address rule on.
    env: { BANDMESH_REQUIRE_VERIFIED: 'false', ...crowdRateLimitsEnv() },
    quiet: !process.env.BANDMESH_E2E_VERBOSE,
  });
  process.env[E2E_ENV.Url] = stack.url;
  process.env[E2E_ENV.RelayHttpUrl] = `http://127.0.0.1:${relayPort}`;
  process.env[E2E_ENV.TicketSecretFile] =
    process.env.BANDMESH_TICKET_SECRET_FILE ?? join(dataDir, 'bandmesh-ticket.secret');
  process.env[E2E_ENV.DataDir] = dataDir;
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
