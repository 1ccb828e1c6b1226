/**
 * The real relay for `bench:relay`: the built relay (relay/dist) as its own process on a free
 * loopback port, configured so every room of two or more players is on the SFU, plus the readings
 * the bench takes of it (CPU from /proc, `GET /load`). One owner per process: stop() is idempotent
 * and always leaves the process dead.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { relayQueryHeaders } from '../../relay/dist/relay/src/control/query-auth.js';
import { at } from '../../scripts/lib/paths.mjs';

export const RELAY_ENTRY = at('relay', 'dist', 'relay', 'src', 'main.js');
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const OUTPUT_TAIL_LINES = 100;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** CPU seconds (user + system, all threads) a process has used, from /proc; null once it is gone. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * CPU seconds per thread name of a process (threads of one name summed: libdatachannel's workers,
 * libuv's pool), and the nice value of its main thread; null once it is gone.
 */
export function threadCpuSeconds(pid) {
  try {
    const byName = {};
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      } catch {
        // the thread ended while we looked
      }
    }
    const main = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const nice = Number(main.slice(main.lastIndexOf(')') + 2).split(' ')[16]);
    return { byName, nice };
  } catch {
    return null;
  }
}

/** The machine's busy and total CPU time so far (all cores), from /proc/stat, in ticks. */
export function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Starts the relay and waits until /healthz answers.
 * @param {{ entry?: string, secret: string, roomLimit: number, cpuProfDir?: string | null, timeoutMs?: number }} options
 */
export async function startBenchRelay({
  entry = RELAY_ENTRY,
  secret,
  roomLimit,
  cpuProfDir = null,
  timeoutMs = 20_000,
}) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const relay = spawnRelay({ entry, port, secret, roomLimit, cpuProfDir });
    if (await relay.waitHealthy(timeoutMs)) return relay;
    const output = relay.output();
    await relay.stop();
    if (attempt < 3 && /EADDRINUSE/.test(output)) continue;
    throw new Error(`The relay did not become healthy on port ${port}. Output:\n${output}`);
  }
  throw new Error('unreachable');
}

function spawnRelay({ entry, port, secret, roomLimit, cpuProfDir }) {
  // Only the settings below: a developer's BANDMESH_* variables must not change what is measured.
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BANDMESH_')) env[key] = value;
  }
  Object.assign(env, {
    BANDMESH_RELAY_HOST: '127.0.0.1',
    BANDMESH_RELAY_PORT: String(port),
    BANDMESH_TICKET_SECRET: secret,
    // Every room of two or more is on the SFU and stays there.
    BANDMESH_MESH_LIMIT: '1',
    BANDMESH_MESH_HYSTERESIS: '0',
    BANDMESH_ROOM_LIMIT: String(roomLimit),
    BANDMESH_SFU: 'on',
    BANDMESH_SFU_HOST: '127.0.0.1',
    // Signaling during setup (candidates of many players) must not trip the flood limits.
    BANDMESH_RELAY_MAX_MESSAGES_PER_SECOND: '100000',
    BANDMESH_RELAY_MAX_CONNECTIONS: '1000',
    BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP: '1000',
    BANDMESH_RELAY_SUBSCRIBE_TIMEOUT_MS: '60000',
    BANDMESH_RELAY_RESUME_GRACE_MS: '0',
  });
  const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  const onData = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let gone = false;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      gone = true;
      tail.push(`cannot start the relay: ${error.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  let stopping = null;
  return {
    pid: child.pid,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/signal`,
    output: () => tail.join('\n'),
    get alive() {
      return !gone;
    },
    async waitHealthy(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!gone && Date.now() < deadline) {
        try {
          const response = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
          if (response.ok) return true;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    },
    /**
     * The relay's `GET /load` (added with the SFU): its `elu` (event-loop utilisation, 0…1) and the
     * rest of the body; null when the relay has no such endpoint or does not answer. Signed with
     * the ticket secret the relay was started with: the relay answers no one else.
     */
    async load() {
      try {
        const response = await fetch(`${httpUrl}/load`, {
          headers: relayQueryHeaders(secret, 'GET', '/load'),
          signal: AbortSignal.timeout(1000),
        });
        if (!response.ok) return null;
        return await response.json();
      } catch {
        return null;
      }
    },
    /** SIGTERM (lets --cpu-prof write its profile), SIGKILL after `graceMs`. */
    stop(graceMs = 8000) {
      stopping ??= (async () => {
        if (!gone) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}
