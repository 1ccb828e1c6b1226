/**
 * Test support for PocketBase: run the real Go build (pocketbase/bandmesh-pocketbase) on a free
 * loopback port with a fresh data dir, the committed migrations and hooks, and a superuser.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClientResponseError } from 'pocketbase';
import { createPocketBaseClient, type TypedPocketBase } from '../../src/lib/pb/client';
import { RELAY_CONTROL_PATH } from '../../src/lib/protocol/relay-control';
import { freePort } from './ports';

const POCKETBASE_DIR = resolve(fileURLToPath(new URL('../../pocketbase', import.meta.url)));
export const POCKETBASE_BINARY = join(POCKETBASE_DIR, 'bandmesh-pocketbase');
export const POCKETBASE_HOOKS_DIR = join(POCKETBASE_DIR, 'pb_hooks');

export const TEST_SUPERUSER = { email: 'root@bandmesh.test', password: 'superuser-password-123' } as const;

/**
 * Where PocketBase pushes membership changes when a test names no relay: a loopback port nothing
 * listens on (9, discard), so pushes fail at once and are logged, and never reach a developer's
 * own relay on :8091 or leave the machine (a test's relayUrl may name an outside host).
 */
export const NO_RELAY_CONTROL_URL = `http://127.0.0.1:9${RELAY_CONTROL_PATH}`;

export interface StartPocketBaseOptions {
  /** Extra environment (BANDMESH_* from the caller's shell is never inherited). */
  env?: Record<string, string>;
  /** BANDMESH_PUBLIC_DIR; defaults to a directory that does not exist (the "run npm run build" page). */
  publicDir?: string;
  /** BANDMESH_RELAY_URL, when it is not the `relay`'s. */
  relayUrl?: string;
  /**
   * A relay already running (from tests/support/relay.ts): PocketBase hands out its WebSocket URL
   * and pushes membership changes to its control endpoint. Without it, pushes go to
   * {@link NO_RELAY_CONTROL_URL}.
   */
  relay?: { wsUrl: string; httpUrl: string };
  /**
   * Extra hook files (name → source) added next to a copy of pocketbase/pb_hooks, e.g. to make
   * something fail on purpose. The copy lives in the temp dir.
   */
  extraHooks?: Record<string, string>;
  /** False: start without the test superuser (as a fresh install does). */
  superuser?: boolean;
  /** The program name the server sees (`os.Args[0]`), e.g. a path under the temp directory. */
  argv0?: string;
  /** An existing data directory (the caller's: kept on stop) instead of a fresh one. */
  dataDir?: string;
}

export interface RunningPocketBase {
  url: string;
  dataDir: string;
  /** The HS256 key text tickets are signed with (env value or the generated data-dir file). */
  ticketSecret: string;
  superuser: typeof TEST_SUPERUSER;
  /** Everything PocketBase wrote so far. */
  output(): string;
  /** SIGTERM, wait for exit, remove the temp dir. Safe to call more than once. */
  stop(): Promise<void>;
}

function assertBuilt(): void {
  if (!existsSync(POCKETBASE_BINARY)) {
    throw new Error(
      `PocketBase is not built (${POCKETBASE_BINARY} is missing): run npm run setup ` +
        '(or: cd pocketbase && go build -o bandmesh-pocketbase .).',
    );
  }
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BANDMESH_')) env[key] = value;
  }
  return env;
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return true;
    } catch {
      // Not listening yet: retry until the deadline or the process exits.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export async function startPocketBase(options: StartPocketBaseOptions = {}): Promise<RunningPocketBase> {
  assertBuilt();
  const root = mkdtempSync(join(tmpdir(), 'bandmesh-pb-'));
  const dataDir = options.dataDir ?? join(root, 'pb_data');
  const env: Record<string, string> = {
    ...baseEnv(),
    BANDMESH_PUBLIC_DIR: options.publicDir ?? join(root, 'no-build'),
    BANDMESH_RELAY_CONTROL_URL: options.relay
      ? `${options.relay.httpUrl}${RELAY_CONTROL_PATH}`
      : NO_RELAY_CONTROL_URL,
    ...(options.relay ? { BANDMESH_RELAY_URL: options.relay.wsUrl } : {}),
    ...(options.relayUrl !== undefined ? { BANDMESH_RELAY_URL: options.relayUrl } : {}),
    // Most suites sign users up over REST and go straight to studios; the mail suites turn the
    // verified-address rule back on (env) and verify through the real mail catcher.
    BANDMESH_REQUIRE_VERIFIED: 'false',
    ...options.env,
  };
  const args = [`--dir=${dataDir}`, '--hooksWatch=false', '--hooksPool=2'];
  if (options.extraHooks) {
    const hooksDir = join(root, 'pb_hooks');
    cpSync(POCKETBASE_HOOKS_DIR, hooksDir, { recursive: true });
    for (const [name, source] of Object.entries(options.extraHooks))
      writeFileSync(join(hooksDir, name), source);
    args.push(`--hooksDir=${hooksDir}`);
  }

  const cleanup = (): void => rmSync(root, { recursive: true, force: true });

  // Applies the migrations and creates the superuser before the server starts.
  const upsert =
    options.superuser === false
      ? { status: 0, stdout: '', stderr: '' }
      : spawnSync(
          POCKETBASE_BINARY,
          ['superuser', 'upsert', TEST_SUPERUSER.email, TEST_SUPERUSER.password, ...args],
          { env, encoding: 'utf8', timeout: 60_000 },
        );
  if (upsert.status !== 0) {
    cleanup();
    throw new Error(`PocketBase could not create its test superuser:\n${upsert.stdout}${upsert.stderr}`);
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(POCKETBASE_BINARY, ['serve', `--http=127.0.0.1:${port}`, ...args], {
      env,
      ...(options.argv0 ? { argv0: options.argv0 } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));

    if (!(await waitForHealth(url, child, 30_000))) {
      child.kill('SIGKILL');
      await exited;
      // freePort() can race with another process; retry on a lost port only.
      if (attempt < 3 && /address already in use/i.test(text)) continue;
      cleanup();
      throw new Error(`PocketBase did not come up on ${url}. Its output:\n${text}`);
    }

    const ticketSecret =
      env.BANDMESH_TICKET_SECRET?.trim() ||
      readFileSync(env.BANDMESH_TICKET_SECRET_FILE ?? join(dataDir, 'bandmesh-ticket.secret'), 'utf8').trim();

    let stopping: Promise<void> | undefined;
    return {
      url,
      dataDir,
      ticketSecret,
      superuser: TEST_SUPERUSER,
      output: () => text,
      stop: () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          try {
            await exited;
          } finally {
            clearTimeout(timer);
            cleanup();
          }
        })()),
    };
  }
}

/** Runs the binary with `args` and `env` until it exits, for configuration errors. */
export function runPocketBaseToExit(
  args: string[],
  env: Record<string, string>,
): { code: number | null; output: string } {
  assertBuilt();
  const result = spawnSync(POCKETBASE_BINARY, args, {
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

// ---- SDK helpers for tests ------------------------------------------------------------------------

export interface TestUser {
  pb: TypedPocketBase;
  id: string;
  email: string;
  password: string;
  name: string;
}

let userCounter = 0;

/** Signs up a fresh user through the public API and signs them in on their own client. */
export async function signUp(url: string, name = 'Player'): Promise<TestUser> {
  const pb = createPocketBaseClient({ url });
  pb.autoCancellation(false);
  userCounter += 1;
  const email = `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}-${process.pid}-${userCounter}@bandmesh.test`;
  const password = 'correct-horse-battery';
  const record = await pb.collection('users').create({ email, password, passwordConfirm: password, name });
  await pb.collection('users').authWithPassword(email, password);
  return { pb, id: record.id, email, password, name };
}

/** A client signed in as the test superuser. */
export async function superuserClient(url: string): Promise<TypedPocketBase> {
  const pb = createPocketBaseClient({ url });
  pb.autoCancellation(false);
  await pb.collection('_superusers').authWithPassword(TEST_SUPERUSER.email, TEST_SUPERUSER.password);
  return pb;
}

/** A client with no session. */
export function guestClient(url: string): TypedPocketBase {
  const pb = createPocketBaseClient({ url });
  pb.autoCancellation(false);
  return pb;
}

/** The ClientResponseError a call fails with; throws when it succeeds. */
export async function rejection(call: Promise<unknown>): Promise<ClientResponseError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ClientResponseError) return error;
    throw error;
  }
  throw new Error('expected the PocketBase call to fail, but it succeeded');
}
