/**
 * Two players on networks with no route between them, for the strict-NAT test: each in its own Linux
 * network namespace, joined to the root namespace by a veth pair with private addresses only.
 *
 *   root 10.201.0.1/24 ── veth ── 10.201.0.2  ns "a"   (the servers bind 10.201.0.1)
 *   root 10.202.0.1/24 ── veth ── 10.202.0.2  ns "b"   (+ a /32 route to 10.201.0.1 only)
 *
 * Neither namespace has a default route, and ip_forward is left as it is: a packet from one player's
 * namespace to the other's has no route (ENETUNREACH), while both reach the service address, which
 * the root namespace delivers locally. So ICE host candidates cannot pair and only a TURN relay on
 * the service address (or the SFU there) connects the players.
 * Everything is named with NETNS_PREFIX and a random suffix; `removeNetnsLeftovers` clears what a
 * killed run left behind. Needs root and `ip netns`.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath } from '../../scripts/lib/chromium.mjs';

export const NETNS_PREFIX = 'bmnat-';
/** Root-side veth names: "bmn" + 6 hex + a|b (interface names have at most 15 characters). */
const VETH_PATTERN = /^bmn[0-9a-f]{6}[ab]$/;

export interface PlayerNamespace {
  name: string;
  /** The player's own address, reachable from the root namespace only. */
  address: string;
  /** An executable that runs Chromium inside the namespace (for `chromium.launch({ executablePath })`). */
  chromium: string;
}

export interface StrictNat {
  /** The address the servers bind: the root end of player a's veth, host-routed for player b. */
  service: string;
  players: [PlayerNamespace, PlayerNamespace];
  /** Kills what still runs in the namespaces and deletes them (their veths go with them). Idempotent. */
  dispose(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** Why this machine cannot run namespace tests, or null when it can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces are Linux-only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'creating network namespaces and veth pairs needs root';
  const probe = `${NETNS_PREFIX}probe-${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
  } catch (error) {
    return `\`ip netns add\` failed: ${stderrOf(error)}`;
  }
  try {
    ip('-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1');
  } catch (error) {
    return `veth pairs are not available: ${stderrOf(error)}`;
  } finally {
    ip('netns', 'delete', probe);
  }
  return null;
}

/** Deletes namespaces and root-side veths with this test's names (and kills what runs in them). */
export function removeNetnsLeftovers(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(NETNS_PREFIX)) deleteNamespace(name);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = line.split(':')[1]?.trim().split('@')[0];
    if (name && VETH_PATTERN.test(name)) ip('link', 'delete', name);
  }
}

export function createStrictNat(): StrictNat {
  const suffix = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), NETNS_PREFIX));
  const service = '10.201.0.1';
  const created: string[] = [];
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    for (const name of created) deleteNamespace(name);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const player = (side: 'a' | 'b', subnet: number): PlayerNamespace => {
      const name = `${NETNS_PREFIX}${suffix}-${side}`;
      const rootEnd = `bmn${suffix}${side}`;
      const nsEnd = `${rootEnd}p`;
      ip('netns', 'add', name);
      created.push(name);
      ip('link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', nsEnd);
      ip('link', 'set', nsEnd, 'netns', name);
      ip('addr', 'add', `10.${subnet}.0.1/24`, 'dev', rootEnd);
      ip('link', 'set', rootEnd, 'up');
      ip('-n', name, 'addr', 'add', `10.${subnet}.0.2/24`, 'dev', nsEnd);
      ip('-n', name, 'link', 'set', nsEnd, 'up');
      ip('-n', name, 'link', 'set', 'lo', 'up');
      if (side === 'b') ip('-n', name, 'route', 'add', `${service}/32`, 'dev', nsEnd);
      const chromium = join(dir, `chromium-${side}.sh`);
      // Playwright drives the browser over inherited pipes, which `ip netns exec` keeps.
      writeFileSync(chromium, `#!/bin/sh\nexec ip netns exec '${name}' '${chromiumPath}' "$@"\n`);
      chmodSync(chromium, 0o755);
      return { name, address: `10.${subnet}.0.2`, chromium };
    };
    const players: [PlayerNamespace, PlayerNamespace] = [player('a', 201), player('b', 202)];
    return { service, players, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * Tries a TCP connection from inside `ns` (or the root namespace when null): 'connected', or the
 * error code (ENETUNREACH when there is no route, ETIMEDOUT after 3 s of silence).
 */
export function tcpProbe(ns: string | null, host: string, port: number): Promise<string> {
  const script =
    `const s = require('node:net').connect(${port}, ${JSON.stringify(host)});` +
    `s.setTimeout(3000, () => { console.log('ETIMEDOUT'); s.destroy(); });` +
    `s.on('connect', () => { console.log('connected'); s.destroy(); });` +
    `s.on('error', (e) => console.log(e.code));`;
  const [command, args] = inNamespace(ns, process.execPath, ['-e', script]);
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000 }, (error, stdout) =>
      resolve(stdout.trim() || `failed: ${error?.message ?? 'no output'}`),
    );
  });
}

/** A TCP server on `address:port` inside `ns` that accepts and closes; resolves once it listens. */
export async function listenIn(ns: string, address: string, port: number): Promise<ChildProcess> {
  const script =
    `require('node:net').createServer((s) => s.end())` +
    `.listen(${port}, ${JSON.stringify(address)}, () => console.log('listening'));`;
  const [command, args] = inNamespace(ns, process.execPath, ['-e', script]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`listener in ${ns} exited (${code})`)));
  });
  return child;
}

function inNamespace(ns: string | null, command: string, args: string[]): [string, string[]] {
  return ns ? ['ip', ['netns', 'exec', ns, command, ...args]] : [command, args];
}

function deleteNamespace(name: string): void {
  // Deleting a namespace does not end its processes (a browser that outlived its test, a listener).
  let pids: string[] = [];
  try {
    pids = ip('netns', 'pids', name).split('\n').filter(Boolean);
  } catch {
    // already gone
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  try {
    ip('netns', 'delete', name);
  } catch {
    // already gone
  }
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr || (error instanceof Error ? error.message : String(error));
}
