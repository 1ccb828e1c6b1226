/**
 * One browser's signaling socket: its limits, its topics, and the y-webrtc message semantics.
 *
 * Invariants:
 * - Nothing a client sends can throw out of a socket listener: every handler is wrapped, and an
 *   unexpected failure closes only this socket (1011), after its topics are released.
 * - `#topics` and the shared {@link TopicRegistry} agree: a topic is added to both or neither, and
 *   {@link Connection.dispose} removes this connection from every topic exactly once.
 * - Replies to bad input are themselves rate-limited, so a flood costs the relay a counter increment
 *   per message, not a JSON reply; logging is one line per episode plus a summary at close.
 */
import { WebSocket, type RawData } from 'ws';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import {
  SIGNALING_VERSION,
  SignalingClose,
  parseClientMessage,
  type ErrorMessage,
  type PublishMessage,
  type ServerMessage,
  type SubscribeMessage,
  type UnsubscribeMessage,
} from '../../../src/lib/protocol/signaling.js';
import { studioIdFromTopic } from '../../../src/lib/protocol/ticket.js';
import type { TicketVerifier } from '../auth/ticket-verifier.js';
import type { Logger } from '../log.js';
import { LimitVerdict, MessageLimiter, TokenBucket } from './rate-limiter.js';
import type { TopicRegistry } from './topic-registry.js';

export interface ConnectionLimits {
  maxMessagesPerSecond: number;
  burstMessages: number;
  maxTopicsPerConnection: number;
  /** A peer that does not read and lets this much pile up in its send buffer is disconnected. */
  maxBufferedBytes: number;
  /** Error replies per second (burst 2×); the rest are counted and dropped. */
  maxErrorsPerSecond: number;
}

export interface ConnectionOptions {
  id: string;
  socket: WebSocket;
  registry: TopicRegistry<Connection>;
  verifier: TicketVerifier;
  limits: ConnectionLimits;
  logger: Logger;
  /** Called once, after the connection has left all its topics. */
  onClosed: (connection: Connection) => void;
  now?: () => number;
}

/** With ws's default binaryType ("nodebuffer") a message is one Buffer; the other shapes are handled anyway. */
function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

interface Counters {
  received: number;
  dropped: number;
  malformed: number;
  refused: number;
  errorsSuppressed: number;
}

export class Connection {
  readonly id: string;
  readonly #socket: WebSocket;
  readonly #registry: TopicRegistry<Connection>;
  readonly #verifier: TicketVerifier;
  readonly #limits: ConnectionLimits;
  readonly #logger: Logger;
  readonly #onClosed: (connection: Connection) => void;
  readonly #now: () => number;
  readonly #limiter: MessageLimiter;
  readonly #errorBudget: TokenBucket;
  readonly #topics = new Set<string>();
  readonly #counters: Counters = { received: 0, dropped: 0, malformed: 0, refused: 0, errorsSuppressed: 0 };
  #lastPongAt: number;
  #disposed = false;

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.#socket = options.socket;
    this.#registry = options.registry;
    this.#verifier = options.verifier;
    this.#limits = options.limits;
    this.#logger = options.logger;
    this.#onClosed = options.onClosed;
    this.#now = options.now ?? (() => performance.now());
    this.#limiter = new MessageLimiter({
      ratePerSecond: options.limits.maxMessagesPerSecond,
      burst: options.limits.burstMessages,
      now: this.#now,
    });
    this.#errorBudget = new TokenBucket({
      ratePerSecond: options.limits.maxErrorsPerSecond,
      burst: options.limits.maxErrorsPerSecond * 2,
      now: this.#now,
    });
    this.#lastPongAt = this.#now();

    this.#socket.on('message', (data, isBinary) => this.#guard(() => this.#onMessage(data, isBinary)));
    this.#socket.on('pong', () => {
      this.#lastPongAt = this.#now();
    });
    this.#socket.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself after a protocol error (e.g. 1009 for an oversized frame).
      this.#logger.info('socket-error', { connection: this.id, code: error.code ?? 'unknown' });
    });
    this.#socket.on('close', (code) => this.#guard(() => this.dispose(code)));

    this.send({ type: 'welcome', version: SIGNALING_VERSION });
  }

  get topicCount(): number {
    return this.#topics.size;
  }

  /** Sends a message if the socket is open; disconnects a peer whose send buffer has piled up. */
  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    if (this.#socket.bufferedAmount > this.#limits.maxBufferedBytes) {
      // A close frame would queue behind the unread backlog; dropping the socket frees it now.
      this.#logger.warn('slow-consumer', { connection: this.id });
      this.terminate();
      return;
    }
    this.#socket.send(text);
  }

  close(code: number, reason: string): void {
    const state = this.#socket.readyState;
    if (state === WebSocket.CLOSING || state === WebSocket.CLOSED) return;
    this.#socket.close(code, reason);
  }

  terminate(): void {
    this.#socket.terminate();
  }

  /**
   * Heartbeat tick: pings the peer, or terminates it when no pong arrived within `timeoutMs`.
   * Returns false when the connection was terminated.
   */
  heartbeat(timeoutMs: number): boolean {
    if (this.#now() - this.#lastPongAt > timeoutMs) {
      this.#logger.info('heartbeat-timeout', { connection: this.id });
      this.terminate();
      return false;
    }
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.ping();
    return true;
  }

  /** Leaves every topic and reports the connection's summary. Idempotent. */
  dispose(closeCode?: number): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const topic of this.#topics) this.#registry.remove(topic, this);
    this.#topics.clear();
    this.#logger.info('connection-closed', { connection: this.id, closeCode, ...this.#counters });
    this.#onClosed(this);
  }

  #guard(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.#logger.error('internal-error', {
        connection: this.id,
        error: error instanceof Error ? error.name : 'unknown',
      });
      this.close(1011, 'internal error');
      this.dispose();
    }
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    // Frames still arriving after we started closing (flood, shutdown) are not worth a reply.
    if (this.#disposed || this.#socket.readyState !== WebSocket.OPEN) return;
    this.#counters.received += 1;
    const verdict = this.#limiter.check();
    if (verdict === LimitVerdict.Flood) {
      this.#counters.dropped += 1;
      this.#logger.warn('flood-disconnected', { connection: this.id, code: ErrorCode.RateLimited });
      this.close(SignalingClose.PolicyViolation, 'message rate far above the limit');
      return;
    }
    if (verdict === LimitVerdict.Drop) {
      this.#counters.dropped += 1;
      // One line when limiting starts; the total is in the close summary.
      if (this.#counters.dropped === 1) {
        this.#logger.info('rate-limited', { connection: this.id, code: ErrorCode.RateLimited });
      }
      this.#sendError(ErrorCode.RateLimited, 'Too many messages; this one was dropped.');
      return;
    }

    if (isBinary) {
      this.#malformed('Binary frames are not part of the signaling protocol.');
      return;
    }
    const text = textOf(data);
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.#malformed(parsed.reason);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'subscribe':
        this.#subscribe(message);
        break;
      case 'unsubscribe':
        this.#unsubscribe(message);
        break;
      case 'publish':
        this.#publish(message);
        break;
      case 'ping':
        this.send({ type: 'pong' });
        break;
    }
  }

  #subscribe(message: SubscribeMessage): void {
    for (const topic of message.topics) {
      if (this.#topics.has(topic)) {
        this.send({ type: 'subscribed', topic, clients: this.#registry.count(topic) });
        continue;
      }
      const studioId = studioIdFromTopic(topic);
      if (studioId === null) {
        // Every topic on this relay is a studio topic; no ticket can open anything else.
        this.#refuse(
          message.ticket ? ErrorCode.TicketWrongStudio : ErrorCode.TicketMissing,
          'Only studio/<id> topics exist on this relay, and each needs a ticket for that studio.',
          topic,
        );
        continue;
      }
      const verdict = this.#verifier.verify(message.ticket, studioId);
      if (!verdict.ok) {
        this.#refuse(verdict.code, verdict.reason, topic);
        continue;
      }
      if (this.#topics.size >= this.#limits.maxTopicsPerConnection) {
        this.#refuse(
          ErrorCode.TooManyTopics,
          `A connection may hold at most ${this.#limits.maxTopicsPerConnection} topics.`,
          topic,
        );
        continue;
      }
      // Players are connections: the limit is the subscribing ticket's (PocketBase clamps it).
      const { maxPlayers } = verdict.claims;
      const clients = this.#registry.addWithin(topic, this, maxPlayers);
      if (clients === null) {
        this.#refuse(
          ErrorCode.RoomFull,
          `This studio is full (${maxPlayers} players). Try again when someone leaves.`,
          topic,
        );
        continue;
      }
      this.#topics.add(topic);
      this.send({ type: 'subscribed', topic, clients });
    }
  }

  #unsubscribe(message: UnsubscribeMessage): void {
    for (const topic of message.topics) {
      if (!this.#topics.delete(topic)) continue;
      this.#registry.remove(topic, this);
    }
  }

  #publish(message: PublishMessage): void {
    if (!this.#topics.has(message.topic)) {
      this.#refuse(ErrorCode.NotSubscribed, 'Subscribe to a topic before publishing to it.', message.topic);
      return;
    }
    const members = this.#registry.members(message.topic);
    // Serialised once for all subscribers; the sender gets its own message back (y-webrtc semantics).
    const text = JSON.stringify({
      type: 'publish',
      topic: message.topic,
      data: message.data,
      clients: members.length,
    });
    for (const member of members) member.sendText(text);
  }

  #malformed(reason: string): void {
    this.#counters.malformed += 1;
    this.#sendError(ErrorCode.Malformed, reason);
  }

  #refuse(code: ErrorMessage['code'], reason: string, topic: string): void {
    this.#counters.refused += 1;
    this.#logger.debug('refused', { connection: this.id, code });
    this.#sendError(code, reason, topic);
  }

  #sendError(code: ErrorMessage['code'], message: string, topic?: string): void {
    if (!this.#errorBudget.take()) {
      this.#counters.errorsSuppressed += 1;
      return;
    }
    this.send(
      topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic },
    );
  }
}
