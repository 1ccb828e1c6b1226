/**
 * Starts the whole stack on loopback: PocketBase (serving the built SPA and the API) and the relay.
 * PocketBase goes first because it creates the ticket secret the relay verifies with.
 */
import { join } from 'node:path';
import { pocketBaseBinary } from './pocketbase.mjs';
import { startProcess, waitForHttp } from './process.mjs';
import { at } from './paths.mjs';

/**
 * @param {{ host?: string, httpPort?: number, relayPort?: number, dataDir?: string, publicDir?: string,
 *   env?: Record<string, string>, quiet?: boolean }} [options]
 */
export async function startStack({
  host = '127.0.0.1',
  httpPort = 8090,
  relayPort = 8091,
  dataDir = at('pocketbase', 'pb_data'),
  publicDir = at('build'),
  env = {},
  quiet = false,
} = {}) {
  const ticketSecretFile = process.env.BANDMESH_TICKET_SECRET_FILE ?? join(dataDir, 'bandmesh-ticket.secret');
  const relayUrl = process.env.BANDMESH_RELAY_URL ?? `ws://${host}:${relayPort}/signal`;
  // PocketBase pushes membership changes to the relay it runs beside, directly on loopback, even
  // when BANDMESH_RELAY_URL is a public address behind a proxy.
  const controlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const relayControlUrl =
    process.env.BANDMESH_RELAY_CONTROL_URL ?? `http://${controlHost}:${relayPort}/control`;
  const url = `http://${host}:${httpPort}`;
  const shared = { BANDMESH_TICKET_SECRET_FILE: ticketSecretFile, ...env };

  const pocketbase = startProcess({
    name: 'pocketbase',
    command: pocketBaseBinary,
    args: ['serve', `--http=${host}:${httpPort}`, `--dir=${dataDir}`],
    env: {
      ...shared,
      BANDMESH_PUBLIC_DIR: publicDir,
      BANDMESH_RELAY_URL: relayUrl,
      BANDMESH_RELAY_CONTROL_URL: relayControlUrl,
    },
    quiet,
  });
  /** @type {{ current: import('./process.mjs').ManagedProcess | null }} */
  const relay = { current: null };
  const stop = async () => {
    await Promise.all([relay.current?.stop(), pocketbase.stop()]);
  };
  try {
    await waitForHttp(`${url}/api/health`, pocketbase);
    relay.current = startProcess({
      name: 'relay',
      command: process.execPath,
      args: [at('relay', 'dist', 'relay', 'src', 'main.js')],
      env: { ...shared, BANDMESH_RELAY_HOST: host, BANDMESH_RELAY_PORT: String(relayPort) },
      quiet,
    });
    await waitForHttp(`http://${host}:${relayPort}/healthz`, relay.current);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, relayUrl, dataDir, processes: [pocketbase, relay.current], stop };
}
