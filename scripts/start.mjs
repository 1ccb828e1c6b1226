/**
 * `npm start`: set up what is missing, run coturn, PocketBase and the relay on loopback, print the
 * URLs, and stop them all cleanly on Ctrl-C. Ports and paths come from the environment (see README).
 */
import { setup } from './lib/setup.mjs';
import { fail, ok, step } from './lib/log.mjs';
import { runUntilStopped } from './lib/run-until-stopped.mjs';

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
  const httpPort = port('BANDMESH_HTTP_PORT', 8090);
  const relayPort = port('BANDMESH_RELAY_PORT', 8091);
  const turnPort = port('BANDMESH_TURN_PORT', 3478);
  const mailInboxPort = port('BANDMESH_MAIL_INBOX_PORT', 8025);
  await setup();
  const { startStack } = await import('./lib/stack.mjs');
  step('Starting coturn (TURN), PocketBase, the relay and the mail inbox');
  const stack = await startStack({
    host: process.env.BANDMESH_HOST ?? '127.0.0.1',
    httpPort,
    relayPort,
    turnPort,
    mailInboxPort,
    ...(process.env.BANDMESH_DATA_DIR ? { dataDir: process.env.BANDMESH_DATA_DIR } : {}),
  });
  ok(`Bandmesh is running: ${stack.url}`);
  console.log(`  relay (signaling): ${stack.relayUrl}`);
  console.log(`  PocketBase admin:  ${stack.url}/_/   data in ${stack.dataDir}`);
  console.log('                     (first admin: npm run admin -- create you@example.com)');
  console.log(
    stack.turn
      ? `  TURN (coturn):     ${stack.turnUrls.join(' ')}   secret in ${stack.dataDir}/bandmesh-turn.secret`
      : `  TURN (external):   ${stack.turnUrls.join(' ') || 'none'}`,
  );
  console.log(
    stack.inboxUrl
      ? `  Mail (inbox):      ${stack.inboxUrl}   (verification and password mail lands here)`
      : `  Mail (SMTP):       ${process.env.BANDMESH_SMTP_HOST}`,
  );
  console.log('  Press Ctrl-C to stop.');

  runUntilStopped(stack);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
