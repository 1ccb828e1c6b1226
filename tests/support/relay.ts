/**
 * Test support for the relay: start the built relay as a real process on a free loopback port,
 * and talk to it with a small signaling client that queues what the relay sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import {
  RELAY_CONTROL_AUTH_SCHEME,
  RELAY_CONTROL_CONTEXT,
  RELAY_CONTROL_PATH,
  RELAY_CONTROL_VERSION,
  type RelayControl,
} from '../../src/lib/protocol/relay-control';
import {
  parseServerMessage,
  type ResumeClaim,
  type ServerMessage,
  type SubscribedMessage,
} from '../../src/lib/protocol/signaling';
import { studioTopic, type StudioRole } from '../../src/lib/protocol/ticket';
import { freePort } from './ports';
import { TEST_TICKET_SECRET } from './tickets';

export const RELAY_ENTRY = resolve(
  fileURLToPath(new URL('../../relay/dist/relay/src/main.js', import.meta.url)),
);

export interface StartRelayOptions {
  /** HMAC secret; defaults to {@link TEST_TICKET_SECRET} unless a secret file or env says otherwise. */
  ticketSecret?: string;
  ticketSecretFile?: string;
  /** Extra environment for the relay process (wins over the options above). */
  env?: Record<string, string>;
  /** Listen on this port (a restart on the port of a stopped relay); a free one otherwise. */
  port?: number;
}

export interface RunningRelay {
  wsUrl: string;
  httpUrl: string;
  port: number;
  /** The relay process id, for sending it signals directly. */
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` (SIGTERM by default) once and resolves with the exit code (null if killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function assertBuilt(): void {
  if (!existsSync(RELAY_ENTRY)) {
    throw new Error(`The relay is not built (${RELAY_ENTRY} is missing): run npm run build:relay first.`);
  }
}

/** Environment without the caller's BANDMESH_* settings, so a developer's shell cannot leak in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BANDMESH_')) env[key] = value;
  }
  return env;
}

function spawnRelay(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  assertBuilt();
  const child = spawn(process.execPath, [RELAY_ENTRY], {
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, output: () => text, exited };
}

/** Runs the relay with `env` and waits for it to exit (for configuration errors). */
export async function runRelayToExit(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = spawnRelay(env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await exited;
    return { code, output: output() };
  } finally {
    clearTimeout(timer);
  }
}

async function waitForHealth(
  httpUrl: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (!gone && Date.now() < deadline) {
    try {
      const response = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return true;
    } catch {
      // Not listening yet: retry until the deadline.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  const secretEnv: Record<string, string> =
    options.ticketSecretFile !== undefined
      ? { BANDMESH_TICKET_SECRET_FILE: options.ticketSecretFile }
      : { BANDMESH_TICKET_SECRET: options.ticketSecret ?? TEST_TICKET_SECRET };
  // freePort() can race with another process; a relay that lost the race exits, so try again.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const env = {
      BANDMESH_RELAY_HOST: '127.0.0.1',
      BANDMESH_RELAY_PORT: String(port),
      ...secretEnv,
      ...options.env,
    };
    const { child, output, exited } = spawnRelay(env);
    const httpUrl = `http://127.0.0.1:${port}`;
    if (!(await waitForHealth(httpUrl, exited, 15_000))) {
      child.kill('SIGKILL');
      await exited;
      if (attempt < 3 && options.port === undefined && /EADDRINUSE/.test(output())) continue;
      throw new Error(`The relay did not become healthy on port ${port}. Output:\n${output()}`);
    }
    let stopping: Promise<number | null> | undefined;
    return {
      wsUrl: `ws://127.0.0.1:${port}/signal`,
      httpUrl,
      port,
      pid: child.pid ?? -1,
      output,
      stop: (signal: NodeJS.Signals = 'SIGTERM') =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          try {
            return await exited;
          } finally {
            clearTimeout(timer);
          }
        })()),
    };
  }
}

// ---- a signaling client for tests ---------------------------------------------------------------

export interface CloseInfo {
  code: number;
  reason: string;
}

export class TestClient {
  readonly socket: WebSocket;
  /** The Yjs client id this client declares when subscribing (random, like a Yjs doc's). */
  readonly clientId = randomInt(1, 2 ** 32 - 1);
  /** This connection's attested identity, once `subscribe` succeeded. */
  self: SubscribedMessage['self'] | null = null;
  /** The resume token of the last `subscribed`. */
  resumeToken: string | null = null;
  /** Resolves when the socket has closed, with the close code the client saw. */
  readonly closed: Promise<CloseInfo>;
  /** The studio topic held, for the `unsubscribe` of a clean {@link close}. */
  #topic: string | null = null;
  readonly #queue: ServerMessage[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      const parsed = isBinary ? null : parseServerMessage(String(data));
      if (parsed?.ok) this.#queue.push(parsed.message);
      for (const wake of [...this.#waiters]) wake();
    });
    this.closed = new Promise((resolveClose) =>
      socket.once('close', (code, reason) => {
        resolveClose({ code, reason: reason.toString('utf8') });
        for (const wake of [...this.#waiters]) wake();
      }),
    );
    // Errors (e.g. the relay closing mid-send) surface through `closed`.
    socket.on('error', () => undefined);
  }

  /**
   * Connects and consumes the relay's `welcome` (with `welcome: false`, returns as soon as the socket
   * is open and leaves every message queued: for sockets the relay may refuse).
   */
  static async connect(
    url: string,
    options: { origin?: string; welcome?: boolean; localAddress?: string } = {},
  ): Promise<TestClient> {
    // localAddress: another loopback source (127.0.0.2, …) counts as another client address.
    const socket = new WebSocket(url, {
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const client = new TestClient(socket);
    await new Promise<void>((resolveOpen, reject) => {
      socket.once('open', () => resolveOpen());
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)),
      );
    });
    if (options.welcome !== false) await client.next((m) => m.type === 'welcome');
    return client;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.socket.send(data, { binary: options.binary ?? typeof data !== 'string' });
  }

  /** Removes and returns the first queued message matching `match`, waiting up to `timeoutMs`. */
  async next<T extends ServerMessage = ServerMessage>(
    match: (message: ServerMessage) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex(match);
      if (index >= 0) return this.#queue.splice(index, 1)[0] as T;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`No matching message within ${timeoutMs} ms`);
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('The socket closed while waiting');
      await new Promise<void>((wake) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          wake();
        };
        const timer = setTimeout(done, remaining);
        this.#waiters.add(done);
      });
    }
  }

  /** Messages received and not yet taken by {@link next}. */
  pending(): readonly ServerMessage[] {
    return this.#queue;
  }

  /**
   * Subscribes with `ticket` and this client's Yjs client id (or `options.client`; `null` leaves it
   * out) and returns the relay's reply for that topic.
   */
  async subscribe(
    topic: string,
    ticket?: string,
    options: { client?: number | null; resume?: ResumeClaim } = {},
  ): Promise<ServerMessage> {
    const client = options.client === undefined ? this.clientId : options.client;
    this.send({
      type: 'subscribe',
      topics: [topic],
      ...(ticket === undefined ? {} : { ticket }),
      ...(client === null ? {} : { client }),
      ...(options.resume === undefined ? {} : { resume: options.resume }),
    });
    const reply = await this.next(
      (m) => (m.type === 'subscribed' || m.type === 'error') && 'topic' in m && m.topic === topic,
    );
    if (reply.type === 'subscribed') {
      this.self = reply.self;
      this.resumeToken = reply.resume;
      this.#topic = reply.topic;
    }
    return reply;
  }

  /** Subscribes and fails unless admitted; returns the `subscribed` message. */
  async join(
    topic: string,
    ticket: string,
    options: { client?: number; resume?: ResumeClaim } = {},
  ): Promise<SubscribedMessage> {
    const reply = await this.subscribe(topic, ticket, options);
    if (reply.type !== 'subscribed') throw new Error(`not admitted: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** The attested peer id, once joined. */
  get peerId(): string {
    if (!this.self) throw new Error('not subscribed');
    return this.self.peerId;
  }

  /** What a page presents on its next subscribe to keep this peer id (as the browser client does). */
  get resume(): ResumeClaim {
    if (!this.self || this.resumeToken === null) throw new Error('not subscribed');
    return { peerId: this.self.peerId, token: this.resumeToken };
  }

  /**
   * Subscribes, and while the relay answers `room-full` or `too-many-visits` tries again every
   * 250 ms (within the relay's error-reply budget) until `timeoutMs`: a seat frees only once the
   * relay has handled the leaver's close, which a test cannot observe directly. Returns the last reply.
   */
  async subscribeWhenSeatFree(topic: string, ticket: string, timeoutMs = 5_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await this.subscribe(topic, ticket);
      const waiting =
        reply.type === 'error' && (reply.code === 'room-full' || reply.code === 'too-many-visits');
      if (!waiting || Date.now() >= deadline) return reply;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Resolves once the relay has handled everything sent before (a ping's pong comes after it). */
  async settled(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next((m) => m.type === 'pong');
  }

  /**
   * Drops the connection without an `unsubscribe` or a closing handshake (a crashed tab, a lost
   * network): the relay keeps the seat for its resume grace.
   */
  drop(): Promise<CloseInfo> {
    this.socket.terminate();
    return this.closed;
  }

  /**
   * Leaves as the browser client does: `unsubscribe` from the studio it holds (the relay frees the
   * seat at once), then a normal close. {@link drop} is the unclean way.
   */
  close(): Promise<CloseInfo> {
    if (this.#topic !== null && this.isOpen) this.send({ type: 'unsubscribe', topics: [this.#topic] });
    this.#topic = null;
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) {
      this.socket.close(1000);
    }
    return this.closed;
  }
}

// ---- the control endpoint -------------------------------------------------------------------------

export interface ControlReply {
  status: number;
  body: { ok: boolean; code?: string; message?: string; affected?: number };
}

/** The `Authorization` value PocketBase sends for `body` (HMAC-SHA256 over context + body, hex). */
export function controlAuthorization(secret: string, body: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(RELAY_CONTROL_CONTEXT)
    .update(body)
    .digest('hex');
  return `${RELAY_CONTROL_AUTH_SCHEME} ${mac}`;
}

/** A control message as PocketBase would send it: version 1, issued now unless `iat` is given. */
export function controlMessage(
  message:
    | { kind: 'membership'; studio: string; user: string; role: StudioRole | null; iat?: number }
    | { kind: 'studio-deleted'; studio: string; iat?: number },
): RelayControl {
  return { v: RELAY_CONTROL_VERSION, iat: Math.floor(Date.now() / 1000), ...message } as RelayControl;
}

/** POSTs `control` to the relay, signed with `secret` unless `authorization` is given. */
export async function postControl(
  relay: Pick<RunningRelay, 'httpUrl'>,
  control: RelayControl | string,
  options: { secret?: string; authorization?: string } = {},
): Promise<ControlReply> {
  const body = typeof control === 'string' ? control : JSON.stringify(control);
  const authorization =
    options.authorization ?? controlAuthorization(options.secret ?? TEST_TICKET_SECRET, body);
  const response = await fetch(`${relay.httpUrl}${RELAY_CONTROL_PATH}`, {
    method: 'POST',
    body,
    headers: { authorization, 'content-type': 'application/json' },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as ControlReply['body'] };
}

/** Every test client one suite opens, so its afterAll closes them together. */
export class ClientPool {
  readonly #clients: TestClient[] = [];
  readonly #url: () => string;

  constructor(url: () => string) {
    this.#url = url;
  }

  async connect(url = this.#url()): Promise<TestClient> {
    const client = await TestClient.connect(url);
    this.#clients.push(client);
    return client;
  }

  /** Clients opened elsewhere that the pool should close too. */
  adopt(...clients: TestClient[]): void {
    this.#clients.push(...clients);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((client) => client.close()));
  }
}

/**
 * A new studio id (and its topic) per call: call it in beforeEach, so each test starts with an empty
 * room (earlier tests' clients stay connected until afterAll).
 */
export function studioSequence(prefix: string): () => { studio: string; topic: string } {
  let count = 0;
  return () => {
    count += 1;
    const studio = `${prefix}${String(count).padStart(2, '0')}`;
    return { studio, topic: studioTopic(studio) };
  };
}
