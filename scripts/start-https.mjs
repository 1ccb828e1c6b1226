/**
 * `npm run start:https`: the production recipe (docs/production.md) on loopback, to try it before
 * deploying: a self-signed certificate (openssl, kept in the data dir), nginx serving ONE HTTPS origin
 * (the app and API at /, the relay's WebSocket at /signal), coturn with TURN over TLS, PocketBase and
 * the relay behind them. Prints the https URL; Ctrl-C stops everything.
 */
import { fail, ok, step } from './lib/log.mjs';
import { runUntilStopped } from './lib/run-until-stopped.mjs';
import { setup } from './lib/setup.mjs';

const port = (name, fallback) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    fail(`${name} must be a port number between 1 and 65535 (got "${value}").`);
    process.exit(2);
  }
  return n;
};

try {
  const httpsPort = port('BANDMESH_HTTPS_PORT', 8443);
  const httpPort = port('BANDMESH_HTTP_PORT', 8090);
  const relayPort = port('BANDMESH_RELAY_PORT', 8091);
  const turnPort = port('BANDMESH_TURN_PORT', 3478);
  const turnTlsPort = port('BANDMESH_TURN_TLS_PORT', 5349);
  await setup();
  const { ensureNginx } = await import('./lib/nginx.mjs');
  await ensureNginx({ required: true });
  const { startHttpsStack } = await import('./lib/https-stack.mjs');
  const { at } = await import('./lib/paths.mjs');
  step('Starting coturn (TURN over TLS), PocketBase, the relay and nginx (HTTPS)');
  const stack = await startHttpsStack({
    httpsPort,
    httpPort,
    relayPort,
    turnPort,
    turnTlsPort,
    dataDir: process.env.BANDMESH_DATA_DIR || at('pocketbase', 'pb_data'),
  });
  ok(`Bandmesh is running: ${stack.url}`);
  console.log(`  certificate (self-signed, trust it or accept the warning): ${stack.cert}`);
  console.log(`  relay (signaling): ${stack.relayUrl}`);
  console.log(`  PocketBase admin:  ${stack.url}/_/   data in ${stack.dataDir}`);
  console.log(`  TURN (coturn):     ${stack.turnUrls.join(' ')}`);
  if (stack.inboxUrl)
    console.log(`  mail inbox:        ${stack.inboxUrl}   (local catcher: mail never leaves this machine)`);
  console.log('  Press Ctrl-C to stop.');

  runUntilStopped(stack);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
