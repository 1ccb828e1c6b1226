/**
 * A private PulseAudio server for a browser test: Firefox on Linux plays through PulseAudio (it has no
 * fake output device the way Chromium has), and a machine without a sound server would leave its
 * AudioContext with nowhere to play. Each server is the test's own: a socket in a fresh temp dir, one
 * null sink (plays into nothing, at the real clock), no config files read, never the machine's server.
 * We run as root (as CI does), which PulseAudio allows outside --system with a warning; HOME and
 * XDG_RUNTIME_DIR point into the temp dir so it writes nothing (cookie, state) anywhere else.
 * Only node: builtins here.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from './process.mjs';

const READY_TIMEOUT_MS = 10_000;

/**
 * Starts one PulseAudio server; `server` is the PULSE_SERVER value that reaches it. dispose() stops
 * it and removes its directory (idempotent; safe after it died).
 * @param {{ quiet?: boolean }} [options]
 * @returns {Promise<{ server: string, dispose: () => Promise<void> }>}
 */
export async function startPulseAudio({ quiet = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bandmesh-pulse-'));
  const socket = join(dir, 'native');
  const proc = startProcess({
    name: 'pulseaudio',
    command: 'pulseaudio',
    args: [
      '-n', // no default.pa: only the modules below
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--disallow-exit',
      '--use-pid-file=no',
      '--log-target=stderr',
      '-L',
      `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      '-L',
      'module-null-sink sink_name=bandmesh_test',
    ],
    env: { HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CONFIG_HOME: join(dir, 'config') },
    quiet,
  });
  /** @type {Promise<void> | null} */
  let disposing = null;
  const dispose = () =>
    (disposing ??= (async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await waitForSocket(socket, proc);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { server: `unix:${socket}`, dispose };
}

/**
 * Until the server accepts a connection on its socket (it creates the file before it listens).
 * @param {string} socket
 * @param {import('./process.mjs').ManagedProcess} proc
 */
async function waitForSocket(socket, proc) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`pulseaudio exited before it was ready:\n${proc.output()}`);
    if (existsSync(socket) && (await accepts(socket))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `pulseaudio did not listen on ${socket} within ${READY_TIMEOUT_MS / 1000} s:\n${proc.output()}`,
  );
}

/** @param {string} socket */
function accepts(socket) {
  return new Promise((resolve) => {
    const connection = createConnection(socket);
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}
