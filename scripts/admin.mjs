/**
 * `npm run admin -- create EMAIL [--password PASSWORD] [--dir DATA_DIR]`: creates (or resets) a
 * PocketBase superuser, the only way to get the first one (the server's installer, which would print
 * a login token in its log, is off). Without --password a random one is generated and printed once,
 * here, in your terminal. DATA_DIR defaults to where `npm start` keeps its data (BANDMESH_DATA_DIR, or
 * pocketbase/pb_data).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fail, ok } from './lib/log.mjs';
import { at } from './lib/paths.mjs';
import { ensurePocketBaseBinary } from './lib/pocketbase.mjs';

const USAGE = 'usage: npm run admin -- create EMAIL [--password PASSWORD] [--dir DATA_DIR]';
/** PocketBase's own minimum for a superuser password. */
const MIN_PASSWORD = 10;

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { password: { type: 'string' }, dir: { type: 'string' } },
  });
  const [command, email, ...extra] = positionals;
  if (command !== 'create' || !email || extra.length > 0) throw new Error(USAGE);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`"${email}" is not an email address.\n${USAGE}`);
  const generated = values.password === undefined;
  const password = values.password ?? randomBytes(15).toString('base64url');
  if (password.length < MIN_PASSWORD)
    throw new Error(`The password must have at least ${MIN_PASSWORD} characters.`);
  const dataDir = values.dir ?? process.env.BANDMESH_DATA_DIR ?? at('pocketbase', 'pb_data');
  const binary = await ensurePocketBaseBinary();
  const result = spawnSync(binary, ['superuser', 'upsert', email, password, `--dir=${dataDir}`], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `PocketBase could not create the superuser:\n${`${result.stdout ?? ''}${result.stderr ?? ''}`.trim()}`,
    );
  }
  ok(`Superuser ${email} is ready (data in ${dataDir}). Log in at /_/ on your Bandmesh server.`);
  if (generated) console.log(`  password: ${password}   (shown only now: keep it somewhere safe)`);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
