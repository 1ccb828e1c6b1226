/**
 * One browser's signaling socket: its limits, its one studio room, and the signaling v2 semantics
 * (identity bound to the ticket, relay-stamped `from`, targeted publish).
 *
 * Invariants:
 * - Nothing a client sends can throw out of a socket listener: every handler is wrapped, and an
 *   unexpected failure closes only this socket (1011), after it left its room.
 * - A connection holds at most one studio topic, because its identity (ticket, peer id, Yjs client
 *   id) is per connection. `#topic` is set exactly while this connection holds a seat for it, and
 *   the seat is given up exactly once: left (`unsubscribe`), suspended ({@link Connection.dispose},
 *   heartbeat), evicted or superseded (a resume moved it to a newer connection).
 * - Only an `unsubscribe` (or an eviction) ends a seat at once. A socket that closes while holding
 *   one (tab crash, network drop) only suspends it for the resume grace, so a quick reconnect with
 *   the resume token keeps the peer id and nobody's links re-form.
 * - A socket that holds no studio must subscribe within the subscribe timeout, or it is closed.
 * - A connection sets only its own seat's `recording` flag (the message names no peer); `on` needs
 *   the seat's `mayRecord`, and toggles are limited per connection (refused, not disconnected).
 * - Replies to bad input are themselves rate-limited, so a flood costs the relay a counter increment
 *   per message, not a JSON reply; logging is one line per episode plus a summary at close.
 */
import { WebSocket, type RawData } from 'ws';
import type { AttestedPeer } from '../../../src/lib/protocol/attested.js';
import { ErrorCode, RECORDING_NOT_ALLOWED_MESSAGE } from '../../../src/lib/protocol/errors.js';
import {
  RECORDING_TOGGLES_PER_SECOND,
  SIGNALING_VERSION,
  SignalingClose,
  parseClientMessage,
  type ErrorMessage,
  type PublishMessage,
  type RecordingMessage,
  type ServerMessage,
  type SubscribeMessage,
  type UnsubscribeMessage,
} from '../../../src/lib/protocol/signaling.js';
import { studioIdFromTopic } from '../../../src/lib/protocol/ticket.js';
import type { ResumeTokens } from '../auth/resume-token.js';
import type { TicketVerifier } from '../auth/ticket-verifier.js';
import type { MembershipOverrides } from '../control/membership-overrides.js';
import type { Logger } from '../log.js';
import type { SfuService } from '../sfu/sfu-service.js';
import { EVICTION_CLOSE, RelayClose } from './close-codes.js';
import { LimitVerdict, MessageLimiter, TokenBucket } from './rate-limiter.js';
import { roomPeer, type EvictionCode, type RoomMember } from './room.js';
import type { RoomRegistry } from './rooms.js';

export interface ConnectionLimits {
  maxMessagesPerSecond: number;
  burstMessages: number;
  /** Live connections one user may hold in one studio. */
  maxVisitsPerUser: number;
  /** A socket holding no studio this long is closed with `subscribe-timeout`. */
  subscribeTimeoutMs: number;
  /** A peer that does not read and lets this much pile up in its send buffer is disconnected. */
  maxBufferedBytes: number;
  /** Error replies per second (burst 2×); the rest are counted and dropped. */
  maxErrorsPerSecond: number;
  /** How long the seat of a socket that dropped without an unsubscribe waits for a resume. */
  resumeGraceMs: number;
  /** Most players a room holds on this relay (a ticket's `maxPlayers` is clamped to it). */
  roomCap: number;
}

export interface ConnectionOptions {
  id: string;
  socket: WebSocket;
  rooms: RoomRegistry<Connection>;
  verifier: TicketVerifier;
  resumeTokens: ResumeTokens;
  overrides: MembershipOverrides;
  sfu: SfuService<Connection>;
  limits: ConnectionLimits;
  logger: Logger;
  /** Called once, after the connection has left its room. */
  onClosed: (connection: Connection) => void;
  now?: () => number;
}

/** How long a socket closed for an internal error may take to finish the close handshake. */
const INTERNAL_ERROR_CLOSE_GRACE_MS = 2_000;

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

export class Connection implements RoomMember {
  readonly id: string;
  readonly #socket: WebSocket;
  readonly #rooms: RoomRegistry<Connection>;
  readonly #verifier: TicketVerifier;
  readonly #resumeTokens: ResumeTokens;
  readonly #overrides: MembershipOverrides;
  readonly #sfu: SfuService<Connection>;
  readonly #limits: ConnectionLimits;
  readonly #logger: Logger;
  readonly #onClosed: (connection: Connection) => void;
  readonly #now: () => number;
  readonly #limiter: MessageLimiter;
  readonly #errorBudget: TokenBucket;
  /** `recording` toggles: a client flipping its flag in a loop would make the room broadcast in a loop. */
  readonly #recordingBudget: TokenBucket;
  /** The studio topic this connection holds a seat in, if any. */
  #topic: string | null = null;
  #subscribeTimer: NodeJS.Timeout | undefined;
  readonly #counters: Counters = { received: 0, dropped: 0, malformed: 0, refused: 0, errorsSuppressed: 0 };
  #lastPongAt: number;
  #disposed = false;

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.#socket = options.socket;
    this.#rooms = options.rooms;
    this.#verifier = options.verifier;
    this.#resumeTokens = options.resumeTokens;
    this.#overrides = options.overrides;
    this.#sfu = options.sfu;
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
    this.#recordingBudget = new TokenBucket({
      ratePerSecond: RECORDING_TOGGLES_PER_SECOND,
      burst: RECORDING_TOGGLES_PER_SECOND,
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
    this.#armSubscribeTimer();
  }

  get topic(): string | null {
    return this.#topic;
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
    const silentForMs = this.#now() - this.#lastPongAt;
    if (silentForMs > timeoutMs) {
      this.#logger.info('heartbeat-timeout', { connection: this.id });
      // The peer went away when it stopped answering, not now: its grace counts from then, so the
      // heartbeat timeout does not lengthen it (with the defaults it is over, and the seat leaves).
      this.#suspendSeat(this.#limits.resumeGraceMs - silentForMs);
      this.terminate();
      return false;
    }
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.ping();
    return true;
  }

  /** Sends a last error (whatever the error budget says: it is the reason) and closes the socket. */
  closeWithError(code: ErrorMessage['code'], message: string, closeCode: number, topic?: string): void {
    this.#counters.refused += 1;
    this.send(
      topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic },
    );
    this.close(closeCode, code);
  }

  /** The room removed this connection (RoomMember): it holds no seat any more. */
  evicted(topic: string, code: EvictionCode, message: string): void {
    if (this.#topic === topic) this.#topic = null;
    this.#logger.info('evicted', { connection: this.id, code });
    this.closeWithError(code, message, EVICTION_CLOSE[code], topic);
  }

  /**
   * A resume moved this connection's seat to a newer socket of the same page (RoomMember). This
   * socket is normally already dead (the page reconnects only after its old socket closed); it is
   * closed without an error, which the page would take for a reason to stop.
   */
  superseded(topic: string): void {
    if (this.#topic === topic) this.#topic = null;
    this.#logger.info('resumed-elsewhere', { connection: this.id });
    this.close(RelayClose.Resumed, 'resumed');
  }

  /**
   * Suspends its seat (the socket is gone without an unsubscribe: a resume may come) and reports
   * the connection's summary. Idempotent.
   */
  dispose(closeCode?: number): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#subscribeTimer);
    this.#sfu.memberClosed(this);
    this.#suspendSeat(this.#limits.resumeGraceMs);
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
      // dispose() gives the connection slot back now, so the socket must not outlive it by ws's
      // 30 s close timeout if the peer ignores the close (that would let sockets pile up uncounted).
      setTimeout(() => this.terminate(), INTERNAL_ERROR_CLOSE_GRACE_MS).unref();
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
      case 'sfu-signal':
        this.#sfu.signal(this, message);
        break;
      case 'route-request':
        this.#sfu.routeRequest(this, message);
        break;
      case 'recording':
        this.#recording(message);
        break;
    }
  }

  #subscribe(message: SubscribeMessage): void {
    for (const topic of message.topics) {
      if (this.#topic === topic) {
        this.#acknowledgeAgain(topic);
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
      if (this.#topic !== null) {
        this.#refuse(
          ErrorCode.TooManyTopics,
          'A connection joins one studio; open another connection for another studio.',
          topic,
        );
        continue;
      }
      const admission = this.#overrides.admission(verdict.claims);
      if (!admission.ok) {
        this.#refuse(
          admission.code,
          admission.code === ErrorCode.StudioDeleted
            ? 'This studio was deleted.'
            : 'You are no longer a member of this studio.',
          topic,
        );
        continue;
      }
      if (message.client === undefined) {
        this.#refuse(
          ErrorCode.ClientIdTaken,
          'Joining a studio needs the Yjs client id of your document ("client").',
          topic,
        );
        continue;
      }
      // A resume token that does not verify for this ticket's user and this client id (another
      // user's, another page's, garbage) is ignored: the visit simply gets a fresh peer id.
      const resume = message.resume;
      const resumePeerId =
        resume !== undefined &&
        this.#resumeTokens.verify(
          { studioId, userId: verdict.claims.sub, client: message.client, peerId: resume.peerId },
          resume.token,
        )
          ? resume.peerId
          : undefined;
      if (resume !== undefined && resumePeerId === undefined) {
        this.#logger.debug('resume-ignored', { connection: this.id });
      }
      const result = this.#rooms.admit(topic, {
        member: this,
        claims: { ...verdict.claims, maxPlayers: Math.min(verdict.claims.maxPlayers, this.#limits.roomCap) },
        client: message.client,
        role: admission.role,
        mayRecord: admission.mayRecord,
        maxVisitsPerUser: this.#limits.maxVisitsPerUser,
        ...(resumePeerId === undefined ? {} : { resumePeerId }),
      });
      if (!result.ok) {
        this.#refuse(result.code, result.message, topic);
        continue;
      }
      this.#topic = topic;
      clearTimeout(this.#subscribeTimer);
      if (result.resumed) this.#logger.info('resumed', { connection: this.id, kind: result.resumed });
      this.send({
        type: 'subscribed',
        topic,
        clients: result.clients,
        self: roomPeer(result.seat),
        peers: result.peers,
        past: result.past,
        resume: this.#resumeToken(studioId, result.seat.peer),
        mayRecord: result.seat.mayRecord,
      });
      this.#sfu.admitted(this, topic);
    }
  }

  /** A repeated subscribe to the held topic: the current view again, same identity. */
  #acknowledgeAgain(topic: string): void {
    const room = this.#rooms.get(topic);
    const seat = room?.seatOf(this);
    const studioId = studioIdFromTopic(topic);
    if (!room || !seat || studioId === null) return;
    this.send({
      type: 'subscribed',
      topic,
      clients: room.size,
      self: roomPeer(seat),
      peers: room.seats().flatMap((s) => (s === seat ? [] : [roomPeer(s)])),
      past: room.past(),
      resume: this.#resumeToken(studioId, seat.peer),
      mayRecord: seat.mayRecord,
    });
    this.#sfu.admitted(this, topic);
  }

  #resumeToken(studioId: string, peer: AttestedPeer): string {
    return this.#resumeTokens.issue({
      studioId,
      userId: peer.userId,
      client: peer.client,
      peerId: peer.peerId,
    });
  }

  #unsubscribe(message: UnsubscribeMessage): void {
    if (this.#topic === null || !message.topics.includes(this.#topic)) return;
    this.#leaveRoom('left');
    // A socket without a studio is idle again: it must rejoin in time or go.
    this.#armSubscribeTimer();
  }

  #leaveRoom(reason: string): void {
    const topic = this.#topic;
    if (topic === null) return;
    this.#topic = null;
    this.#rooms.leave(topic, this, reason);
  }

  #suspendSeat(graceMs: number): void {
    const topic = this.#topic;
    if (topic === null) return;
    this.#topic = null;
    this.#rooms.suspend(topic, this, graceMs);
  }

  #publish(message: PublishMessage): void {
    const room = this.#topic === message.topic ? this.#rooms.get(message.topic) : undefined;
    const seat = room?.seatOf(this);
    if (!room || !seat) {
      this.#refuse(ErrorCode.NotSubscribed, 'Subscribe to a topic before publishing to it.', message.topic);
      return;
    }
    const target = message.to === undefined ? undefined : room.seatByPeerId(message.to);
    if (message.to !== undefined && !target) {
      this.#refuse(
        ErrorCode.UnknownPeer,
        'That peer is not in this studio (it may just have left).',
        message.topic,
      );
      return;
    }
    // `from` is the relay's record of the sender, whatever `data` claims. Serialised once for all.
    let text: string;
    try {
      text = JSON.stringify({
        type: 'publish',
        topic: message.topic,
        data: message.data,
        from: seat.peer,
        clients: room.size,
      });
    } catch {
      // JSON.parse accepts nesting (a 64 KiB frame of "[") that JSON.stringify cannot write back
      // (RangeError): bad input, not a relay fault, so the socket and its seat stay.
      this.#malformed('"data" is nested too deeply.');
      return;
    }
    // A suspended target may still resume: its messages are dropped, not refused, so the sender
    // does not take it for gone before the relay says so.
    if (target) target.member?.sendText(text);
    else room.sendToAll(text, this);
  }

  /** Our own recording flag: the seat is this connection's, whatever the client might wish. */
  #recording(message: RecordingMessage): void {
    const topic = this.#topic;
    const room = topic === null ? undefined : this.#rooms.get(topic);
    const seat = room?.seatOf(this);
    if (topic === null || !room || !seat) {
      this.#sendError(ErrorCode.NotSubscribed, 'Join a studio before saying you record.');
      return;
    }
    if (!this.#recordingBudget.take()) {
      this.#refuse(
        ErrorCode.RateLimited,
        `At most ${RECORDING_TOGGLES_PER_SECOND} recording changes a second; this one was ignored.`,
        topic,
      );
      return;
    }
    if (room.setRecording(seat, message.on) === 'not-allowed') {
      this.#refuse(ErrorCode.RecordingNotAllowed, RECORDING_NOT_ALLOWED_MESSAGE, topic);
    }
  }

  #armSubscribeTimer(): void {
    clearTimeout(this.#subscribeTimer);
    this.#subscribeTimer = setTimeout(
      () =>
        this.#guard(() => {
          if (this.#topic !== null || this.#disposed) return;
          this.#logger.info('subscribe-timeout', { connection: this.id, code: ErrorCode.SubscribeTimeout });
          this.closeWithError(
            ErrorCode.SubscribeTimeout,
            `This connection did not join a studio within ${Math.round(this.#limits.subscribeTimeoutMs / 100) / 10} s and was closed.`,
            RelayClose.PolicyViolation,
          );
        }),
      this.#limits.subscribeTimeoutMs,
    );
    this.#subscribeTimer.unref();
  }

  #malformed(reason: string): void {
    this.#counters.malformed += 1;
    this.#sendError(ErrorCode.Malformed, reason);
  }

  /** An error reply about `topic` (for the SFU's messages); rate-limited like every error. */
  refuse(code: ErrorMessage['code'], reason: string, topic: string): void {
    this.#refuse(code, reason, topic);
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
