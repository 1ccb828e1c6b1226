/**
 * Starts the whole stack on loopback: coturn (TURN), PocketBase (serving the built SPA and the API)
 * and the relay. coturn goes first because it creates the TURN secret PocketBase signs credentials
 * with; PocketBase before the relay because it creates the ticket secret the relay verifies with.
 * With BANDMESH_TURN_URLS set, TURN is an external server configured by the environment, and none is
 * started here. Likewise mail: a local catcher (mail-catcher.mjs) unless BANDMESH_SMTP_HOST names a
 * real SMTP server.
 */
import { join } from 'node:path';
import { freeUdpTcpPort, startCoturn } from './coturn.mjs';
import { pocketBaseBinary } from './pocketbase.mjs';
import { startProcess, waitForHttp } from './process.mjs';
import { startMailFor } from './stack-mail.mjs';
import { at } from './paths.mjs';

/**
 * `turnPort` 0 picks a free port; `turn: false` starts no TURN server (tickets then carry no ICE servers).
 * `appUrl` is where mail links point when players reach the app elsewhere (behind a TLS proxy).
 * `mail: false` starts no mail catcher; `mailInboxPort` 0 (default) picks a free port for its inbox.
 * @param {{ host?: string, httpPort?: number, relayPort?: number, turn?: boolean, turnPort?: number,
 *   dataDir?: string, publicDir?: string, env?: Record<string, string>, quiet?: boolean, mail?: boolean,
 *   mailInboxPort?: number, appUrl?: string }} [options]
 */
export async function startStack({
  host = '127.0.0.1',
  httpPort = 8090,
  relayPort = 8091,
  turn = true,
  turnPort = 0,
  dataDir = at('pocketbase', 'pb_data'),
  publicDir = at('build'),
  env = {},
  quiet = false,
  mail = true,
  mailInboxPort = 0,
  appUrl = '',
} = {}) {
  const ticketSecretFile = process.env.BANDMESH_TICKET_SECRET_FILE ?? join(dataDir, 'bandmesh-ticket.secret');
  const relayUrl =
    env.BANDMESH_RELAY_URL ?? process.env.BANDMESH_RELAY_URL ?? `ws://${host}:${relayPort}/signal`;
  // PocketBase pushes membership changes to the relay it runs beside, directly on loopback, even
  // when BANDMESH_RELAY_URL is a public address behind a proxy.
  const controlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const relayControlUrl =
    process.env.BANDMESH_RELAY_CONTROL_URL ?? `http://${controlHost}:${relayPort}/control`;
  const url = `http://${host}:${httpPort}`;
  const shared = { BANDMESH_TICKET_SECRET_FILE: ticketSecretFile, ...env };

  /** @type {Awaited<ReturnType<typeof startCoturn>> | null} */
  let coturn = null;
  /** @type {Record<string, string>} */
  const turnEnv = {};
  if (turn && !process.env.BANDMESH_TURN_URLS) {
    coturn = await startCoturn({
      host,
      // Listening on every address, browsers reach TURN at the relay's public host name.
      publicHost: controlHost === host ? host : new URL(relayUrl).hostname.replace(/^\[|\]$/g, ''),
      port: turnPort || (await freeUdpTcpPort(host)),
      dataDir,
      quiet,
    });
    turnEnv.BANDMESH_TURN_URLS = coturn.urls.join(',');
    turnEnv.BANDMESH_TURN_SECRET_FILE = coturn.secretFile;
  }

  /** @type {import('./process.mjs').ManagedProcess | null} */
  let pocketbase = null;
  /** @type {{ current: import('./process.mjs').ManagedProcess | null }} */
  const relay = { current: null };
  /** @type {Awaited<ReturnType<typeof startMailFor>>} */
  let mailer = { catcher: null, env: {} };
  const stop = async () => {
    await Promise.all([relay.current?.stop(), pocketbase?.stop(), coturn?.process.stop()]);
    await mailer.catcher?.stop();
  };
  try {
    mailer = await startMailFor({ enabled: mail, appUrl: appUrl || url, inboxPort: mailInboxPort });
    pocketbase = startProcess({
      name: 'pocketbase',
      command: pocketBaseBinary,
      args: ['serve', `--http=${host}:${httpPort}`, `--dir=${dataDir}`],
      env: {
        ...shared,
        ...turnEnv,
        ...mailer.env,
        BANDMESH_PUBLIC_DIR: publicDir,
        BANDMESH_RELAY_URL: relayUrl,
        BANDMESH_RELAY_CONTROL_URL: relayControlUrl,
      },
      quiet,
    });
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
  const processes = [pocketbase, relay.current];
  if (coturn) processes.push(coturn.process);
  return {
    url,
    relayUrl,
    dataDir,
    /** The TURN URLs tickets carry (the external ones when BANDMESH_TURN_URLS is set), or []. */
    turnUrls: coturn?.urls ?? (process.env.BANDMESH_TURN_URLS ?? '').split(',').filter(Boolean),
    /** The local mail catcher's inbox page and JSON API (null: none started). */
    inboxUrl: mailer.catcher?.inboxUrl ?? null,
    mailApiUrl: mailer.catcher?.apiUrl ?? null,
    /** The coturn this stack started (null: none), e.g. for a test that takes TURN away. */
    turn: coturn?.process ?? null,
    processes,
    stop,
  };
}
