/**
 * coturn, the TURN server players behind strict NATs or firewalls relay their WebRTC traffic through.
 * `ensureCoturn` installs Debian's package when `turnserver` is missing (and keeps the package's own
 * service off: the stack runs its own instance); `startCoturn` runs one instance for the stack with
 * TURN REST auth (`use-auth-secret`) on a secret kept in the data dir, which PocketBase signs
 * credentials with. Only node: builtins here (setup runs before npm dependencies exist).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  closeSync,
  writeSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { aptInstall } from './apt.mjs';
import { info } from './log.mjs';
import { startProcess } from './process.mjs';
import { run } from './run.mjs';

/** The secret coturn and PocketBase share, created once per data dir. */
export const TURN_SECRET_FILE_NAME = 'bandmesh-turn.secret';
/** Written at every start from the options and the secret (it holds the secret: 0600). */
const CONFIG_FILE_NAME = 'bandmesh-turnserver.conf';
const MIN_SECRET_LENGTH = 32;

/** `turnserver` on PATH, or BANDMESH_TURNSERVER. */
export function coturnBinary() {
  if (process.env.BANDMESH_TURNSERVER) return process.env.BANDMESH_TURNSERVER;
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/sbin')) {
    if (dir && existsSync(join(dir, 'turnserver'))) return join(dir, 'turnserver');
  }
  return null;
}

/**
 * Installs coturn with apt-get when `turnserver` is missing (as root), or fails with the command to run.
 * The package's own service is stopped and disabled afterwards: a second coturn on 3478 with the
 * package's defaults would be an open relay nobody configured.
 */
export async function ensureCoturn() {
  if (coturnBinary()) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      "coturn (the TURN server) is not installed. Install Debian's package, then run npm start again:\n" +
        '    sudo apt-get update && sudo apt-get install -y coturn\n' +
        '    sudo systemctl disable --now coturn    # Bandmesh runs its own instance\n' +
        '(or point BANDMESH_TURNSERVER at a turnserver binary).',
    );
  }
  await aptInstall('coturn');
  await disablePackageService();
  if (!coturnBinary())
    throw new Error('apt-get installed coturn but no turnserver binary was found on PATH.');
}

/**
 * Stops and disables the coturn service the Debian package may have started, under systemd or SysV
 * init. Exit codes are ignored: in containers policy-rc.d refuses to start it in the first place, and
 * `systemctl disable` works without a running systemd (it removes the unit's boot symlink).
 */
async function disablePackageService() {
  const quiet = { stdio: /** @type {const} */ ('ignore') };
  const systemd = existsSync('/run/systemd/system');
  if (!systemd && existsSync('/etc/init.d/coturn')) await run('/etc/init.d/coturn', ['stop'], quiet);
  const disabled = await run(
    'systemctl',
    ['disable', ...(systemd ? ['--now'] : []), 'coturn.service'],
    quiet,
  );
  if (disabled !== 0) await run('update-rc.d', ['coturn', 'disable'], quiet);
  info("coturn's own service is disabled; Bandmesh starts its own turnserver with the stack");
}

/**
 * The shared secret in `<dataDir>/bandmesh-turn.secret`: read, or created (64 hex characters, 0600).
 * O_EXCL so two stacks starting on one data dir agree on the first one written.
 * @param {string} file
 */
export function ensureTurnSecret(file) {
  if (!existsSync(file)) {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
      closeSync(fd);
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
    throw new Error(
      `TURN secret file ${file} must hold one word of at least ${MIN_SECRET_LENGTH} characters (delete it to have a new one generated).`,
    );
  }
  return secret;
}

/**
 * Peer addresses a public TURN server must never relay to (coturn's `denied-peer-ip`): otherwise any
 * user with credentials reaches the server's own network: loopback, private and link-local ranges
 * (cloud metadata at 169.254.169.254), carrier-grade NAT, documentation and reserved ranges, and
 * IPv6's equivalents (IPv4-mapped, NAT64, unique-local, link-local). Multicast goes with
 * `no-multicast-peers`.
 */
export const DENIED_PEER_RANGES = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.0.2.0-192.0.2.255',
  '192.88.99.0-192.88.99.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '198.51.100.0-198.51.100.255',
  '203.0.113.0-203.0.113.255',
  '240.0.0.0-255.255.255.255',
  '::1',
  '::ffff:0.0.0.0-::ffff:255.255.255.255',
  '64:ff9b::-64:ff9b::ffff:ffff',
  '100::-100::ffff:ffff:ffff:ffff',
  '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

/**
 * Whether `host` is a loopback or private address, where the players (and their peers) are too.
 * @param {string} host
 */
function isLocalAddress(host) {
  return (
    /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(host) ||
    host === '::1' ||
    host === 'localhost'
  );
}

/**
 * coturn's configuration for one stack. Loopback/test only where marked; docs/turn.md has the
 * production file (TLS, denied private peer ranges).
 * @param {{ host: string, port: number, secret: string, minPort: number, maxPort: number,
 *   allowLoopbackPeers: boolean, denyPrivatePeers: boolean, pidFile: string, userDb: string,
 *   tls?: { port: number, cert: string, key: string } | null }} options
 */
export function coturnConfig({
  host,
  port,
  secret,
  minPort,
  maxPort,
  allowLoopbackPeers,
  denyPrivatePeers,
  pidFile,
  userDb,
  tls = null,
}) {
  // A wildcard host listens and relays on every address the machine has.
  const wildcard = host === '0.0.0.0' || host === '::';
  const lines = [
    ...(wildcard ? [] : [`listening-ip=${host}`, `relay-ip=${host}`]),
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${maxPort}`,
    'realm=bandmesh',
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'fingerprint',
    // TURN over TLS (turns:) only with a certificate (the HTTPS recipe's); else plain UDP/TCP.
    ...(tls
      ? [`tls-listening-port=${tls.port}`, `cert=${tls.cert}`, `pkey=${tls.key}`, 'no-tlsv1', 'no-tlsv1_1']
      : ['no-tls']),
    'no-dtls',
    'no-cli',
    // One listening address: RFC 5780 NAT discovery would need a second one (and an extra port).
    'no-rfc5780',
    'no-multicast-peers',
    'no-software-attribute',
    // Abuse limits per REST user (one Bandmesh user id) and in total.
    'user-quota=12',
    'total-quota=1200',
    // Users are REST credentials, never stored: keep coturn's SQLite file off the system path.
    `userdb=${userDb}`,
    'log-file=stdout',
    'simple-log',
    `pidfile=${pidFile}`,
  ];
  // Peers on 127.0.0.0/8 are refused by default; a loopback stack relays between loopback addresses.
  // Never in production: it lets TURN users reach services on the server's loopback.
  if (allowLoopbackPeers) lines.push('allow-loopback-peers');
  if (denyPrivatePeers) lines.push(...DENIED_PEER_RANGES.map((range) => `denied-peer-ip=${range}`));
  return `${lines.join('\n')}\n`;
}

/**
 * Starts turnserver for the stack and waits until it answers a STUN binding request. `publicHost` is
 * the name or address browsers reach it at, in the `turn:` URLs (default: `host`). On a public or
 * wildcard address private peers are denied (DENIED_PEER_RANGES); on a loopback or private one the
 * players are local too, so their addresses must stay reachable.
 * @param {{ host: string, port: number, dataDir: string, publicHost?: string, minPort?: number,
 *   maxPort?: number, allowLoopbackPeers?: boolean, denyPrivatePeers?: boolean, quiet?: boolean,
 *   tls?: { port: number, cert: string, key: string } | null }} options
 */
export async function startCoturn({
  host,
  port,
  publicHost = host,
  dataDir,
  minPort = 49152,
  maxPort = 65535,
  allowLoopbackPeers = host.startsWith('127.') || host === '::1',
  denyPrivatePeers = !isLocalAddress(host),
  tls = null,
  quiet = false,
}) {
  const binary = coturnBinary();
  if (!binary) throw new Error('turnserver is not installed (npm run setup installs coturn).');
  const secretFile = join(dataDir, TURN_SECRET_FILE_NAME);
  const secret = ensureTurnSecret(secretFile);
  const configFile = join(dataDir, CONFIG_FILE_NAME);
  writeFileSync(
    configFile,
    coturnConfig({
      host,
      port,
      secret,
      minPort,
      maxPort,
      allowLoopbackPeers,
      denyPrivatePeers,
      pidFile: join(dataDir, 'bandmesh-turnserver.pid'),
      userDb: join(dataDir, 'bandmesh-turndb'),
      tls,
    }),
    { mode: 0o600 },
  );
  chmodSync(configFile, 0o600);
  const proc = startProcess({ name: 'turn', command: binary, args: ['-c', configFile], quiet });
  try {
    await waitForStun(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port, proc);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  const urlHost = publicHost.includes(':') ? `[${publicHost}]` : publicHost;
  return {
    process: proc,
    secretFile,
    urls: [
      `turn:${urlHost}:${port}?transport=udp`,
      `turn:${urlHost}:${port}?transport=tcp`,
      ...(tls ? [`turns:${urlHost}:${tls.port}?transport=tcp`] : []),
    ],
  };
}

/**
 * Sends STUN binding requests until one is answered: coturn has no health endpoint, and a binding
 * response means its UDP listener is up.
 * @param {string} host
 * @param {number} port
 * @param {import('./process.mjs').ManagedProcess} proc
 */
async function waitForStun(host, port, proc, timeoutMs = 15_000) {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const id = randomBytes(12);
  // Binding request: type 0x0001, length 0, the magic cookie, a transaction id.
  const request = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), id]);
  let exited = false;
  void proc.exited.then(() => (exited = true));
  try {
    const answered = new Promise((resolve) => {
      socket.on('message', (message) => {
        if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(id))
          resolve(true);
      });
    });
    socket.on('error', () => {});
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`turnserver exited before it was ready:\n${proc.output()}`);
      socket.send(request, port, host);
      const ok = await Promise.race([answered, new Promise((r) => setTimeout(() => r(false), 200))]);
      if (ok) return;
    }
    throw new Error(
      `turnserver did not answer STUN on ${host}:${port} within ${timeoutMs / 1000} s:\n${proc.output()}`,
    );
  } finally {
    socket.close();
  }
}

/**
 * A port free for both TCP and UDP on `host` (coturn listens on both): the OS picks a TCP port, and
 * it is kept when UDP can bind it too.
 * @param {string} host
 * @returns {Promise<number>}
 */
export async function freeUdpTcpPort(host) {
  const { createServer } = await import('node:net');
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.on('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise((resolve) => {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.on('error', () => resolve(false));
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return /** @type {number} */ (port);
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}
