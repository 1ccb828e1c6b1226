/**
 * The browser's connection to the relay's signaling endpoint, for one studio topic.
 *
 * It (re)connects with backoff, fetches a fresh ticket before every subscribe (tickets are short-lived
 * and gate entry only), keeps the socket alive with pings, and surfaces relay errors as typed events.
 * A problem that a new ticket cannot fix (not a member any more, studio gone, the ticket reused in
 * another tab) stops reconnecting. Everything it reports about other participants is what the relay
 * attests (signaling v2); it never reads a sender's identity out of a message's data.
 *
 * Recording ("everyone knows"): {@link SignalingClient.setRecording} tells the relay we record; the
 * relay answers everyone (us included) with `peer-recording`, and refuses with `recording-not-allowed`
 * when the studio's setting does not let us. While we say we record, every (re)subscribe says it
 * again, so a new connection (a relay restart) cannot leave the room thinking we stopped.
 */
import type { AttestedPeer } from '../protocol/attested';
import { ErrorCode } from '../protocol/errors';
import type { PeerSignal } from '../protocol/mesh-signal';
import type { RoomMode, SfuSource } from '../protocol/sfu';
import {
  parseServerMessage,
  SIGNALING_VERSION,
  type ClientMessage,
  type ErrorMessage,
  type RoomPeer,
} from '../protocol/signaling';
import { Emitter } from '../util/emitter';

/** The subset of the WebSocket API the client needs, so tests can pass Node's `ws`. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface TicketGrant {
  ticket: string;
  topic: string;
  /**
   * The relay the ticket names (PocketBase pins each room to one relay). When it is not the relay
   * this client talks to, the client moves there; absent, it stays where it is.
   */
  url?: string;
}

export const SignalingState = {
  Connecting: 'connecting',
  Open: 'open',
  Reconnecting: 'reconnecting',
  Stopped: 'stopped',
} as const;
export type SignalingState = (typeof SignalingState)[keyof typeof SignalingState];

export interface SignalingEvents extends Record<string, unknown> {
  state: { state: SignalingState; detail?: string };
  /** The topic was (re)joined: the relay's attested view of the room replaces any earlier one. */
  subscribed: {
    topic: string;
    clients: number;
    /** `recording: true` when the relay kept our recording through a resume. */
    self: RoomPeer;
    /** Those recording now carry `recording: true` (the relay's word, never a peer's). */
    peers: RoomPeer[];
    past: AttestedPeer[];
    /** Whether the relay lets us record now. */
    mayRecord: boolean;
  };
  message: { topic: string; data: unknown; from: AttestedPeer; clients: number };
  'peer-joined': AttestedPeer;
  'peer-updated': AttestedPeer;
  'peer-left': { peerId: string; reason: string };
  error: { code: string; message: string; fatal: boolean };
  /** A description or candidate of our connection to the relay's SFU (from the relay itself). */
  'sfu-signal': PeerSignal;
  /** The room's audio route: mesh or SFU, and which source index stands for which peer. */
  'room-route': { mode: RoomMode; sources: SfuSource[] };
  /** The relay says a participant (perhaps us) started or stopped recording: its attested peer id. */
  'peer-recording': { peerId: string; on: boolean };
  /** Whether we may record changed (the studio's setting, or our role); also after every subscribe. */
  'may-record': boolean;
}

export interface SignalingClientOptions {
  url: string;
  getTicket(): Promise<TicketGrant>;
  /** The Yjs client id of this page's studio document, declared to the relay on every subscribe. */
  clientId: number;
  createSocket?: (url: string) => SocketLike;
  /** Backoff between reconnects, in ms: starts at `min`, doubles up to `max`. */
  backoff?: { min: number; max: number };
  pingIntervalMs?: number;
}

const OPEN = 1;
/** Errors a fresh ticket will not fix: reconnecting would only repeat them (or fight another tab). */
const FATAL_CODES = new Set<string>([
  ErrorCode.TicketWrongStudio,
  ErrorCode.IncompatibleVersion,
  ErrorCode.TicketReplaced,
  ErrorCode.MembershipRevoked,
  ErrorCode.StudioDeleted,
  ErrorCode.ClientIdTaken,
  ErrorCode.TooManyVisits,
]);
/** Errors after which the relay closes or ignores this socket: try again on a new one, after the backoff. */
const RETRY_CODES = new Set<string>([
  ErrorCode.TicketExpired,
  ErrorCode.TicketInvalid,
  ErrorCode.RoomFull,
  ErrorCode.TooManyConnections,
  ErrorCode.SubscribeTimeout,
  // The room is pinned to another relay: the fresh ticket names it, and the client moves there.
  ErrorCode.WrongRelay,
]);

export class SignalingClient {
  readonly events = new Emitter<SignalingEvents>();
  readonly #options: Required<Omit<SignalingClientOptions, 'createSocket'>> & {
    createSocket: (url: string) => SocketLike;
  };
  #socket: SocketLike | null = null;
  #topic: string | null = null;
  #state: SignalingState = SignalingState.Connecting;
  #retryDelay: number;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  /** What lets a re-subscribe keep our peer id (peers then keep their links to us). */
  #resume: { peerId: string; token: string } | null = null;
  /** The relay to (re)connect to: the option's, then the last ticket's (rooms move with relays). */
  #url: string;
  /** A ticket fetched before connecting (to learn where the room is), used by the next subscribe. */
  #grant: TicketGrant | null = null;
  /** Whether the current socket got the relay's welcome; one that closes before it never reached a relay. */
  #welcomed = false;
  /** We told the relay we record (and it did not refuse): said again on every subscribe. */
  #recording = false;
  /** The relay's last word on whether we may record (`subscribed.mayRecord`, `recording-permission`). */
  #mayRecord = false;
  #disposed = false;

  constructor(options: SignalingClientOptions) {
    this.#options = {
      backoff: { min: 250, max: 5000 },
      pingIntervalMs: 20_000,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      ...options,
    };
    this.#retryDelay = this.#options.backoff.min;
    this.#url = options.url;
  }

  get state(): SignalingState {
    return this.#state;
  }

  /** Whether the relay lets us record now (false until it admitted us). */
  get mayRecord(): boolean {
    return this.#mayRecord;
  }

  /**
   * Tells the relay we start (`true`) or stop recording. Returns false when not subscribed right now
   * (nothing was sent; a `true` is then not remembered). While on, every later subscribe (a resume, a
   * new connection) says it again. The relay's `peer-recording` about us is the confirmation, an error
   * `recording-not-allowed` the refusal.
   */
  setRecording(on: boolean): boolean {
    if (!on) this.#recording = false;
    if (!this.#topic || this.#state !== SignalingState.Open) return false;
    const sent = this.#send({ type: 'recording', on });
    if (on) this.#recording = sent;
    return sent;
  }

  start(): void {
    if (this.#disposed || this.#socket) return;
    this.#connect();
  }

  /**
   * Publishes to the studio topic: to one peer with `to`, else to everyone else. Returns false when not
   * subscribed right now (the caller retries later).
   */
  publish(data: unknown, to?: string): boolean {
    if (!this.#topic || this.#state !== SignalingState.Open) return false;
    return this.#send({ type: 'publish', topic: this.#topic, data, ...(to === undefined ? {} : { to }) });
  }

  /** Sends one description or candidate of our connection to the relay's SFU; false when not subscribed. */
  sendSfuSignal(signal: PeerSignal): boolean {
    if (!this.#topic || this.#state !== SignalingState.Open) return false;
    return this.#send({ type: 'sfu-signal', topic: this.#topic, signal });
  }

  /**
   * Tells the relay whether we cannot reach some of the others directly (so the room should use the
   * SFU); false withdraws it. The relay forgets it with the connection: resend after `subscribed`.
   */
  requestRoute(unreachable: boolean): boolean {
    if (!this.#topic || this.#state !== SignalingState.Open) return false;
    return this.#send({ type: 'route-request', topic: this.#topic, unreachable });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      try {
        if (this.#topic && socket.readyState === OPEN) {
          socket.send(JSON.stringify({ type: 'unsubscribe', topics: [this.#topic] } satisfies ClientMessage));
        }
        socket.close(1000, 'leaving');
      } catch {
        // The socket is already gone; nothing to release.
      }
    }
    this.#setState(SignalingState.Stopped);
    this.events.clear();
  }

  #connect(): void {
    this.#setState(
      this.#state === SignalingState.Connecting ? SignalingState.Connecting : SignalingState.Reconnecting,
    );
    let socket: SocketLike;
    try {
      socket = this.#options.createSocket(this.#url);
    } catch (error) {
      this.#scheduleReconnect(`cannot open ${this.#url}: ${String(error)}`, true);
      return;
    }
    this.#socket = socket;
    this.#welcomed = false;
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.#handleText(event.data);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#topic = null;
      this.#clearTimers();
      this.#scheduleReconnect(
        `relay connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        !this.#welcomed,
      );
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  #handleText(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) return; // A relay that speaks nonsense is ignored message by message.
    const message = parsed.message;
    switch (message.type) {
      case 'welcome':
        if (message.version !== SIGNALING_VERSION) {
          this.#fail({
            code: ErrorCode.IncompatibleVersion,
            message: `The relay speaks signaling version ${message.version}; this page needs ${SIGNALING_VERSION}. Reload the page.`,
          });
          return;
        }
        this.#welcomed = true;
        void this.#subscribe();
        return;
      case 'subscribed':
        this.#retryDelay = this.#options.backoff.min;
        this.#setState(SignalingState.Open);
        this.#startPing();
        this.#resume = { peerId: message.self.peerId, token: message.resume };
        this.#mayRecord = message.mayRecord === true;
        this.events.emit('subscribed', {
          topic: message.topic,
          clients: message.clients,
          self: message.self,
          peers: message.peers,
          past: message.past,
          mayRecord: this.#mayRecord,
        });
        this.events.emit('may-record', this.#mayRecord);
        // Still recording: say so on this connection too (a resume keeps the flag; a repeat is
        // harmless, and a new seat would otherwise show us as not recording).
        if (this.#recording) this.#send({ type: 'recording', on: true });
        return;
      case 'publish':
        if (message.topic === this.#topic) {
          this.events.emit('message', {
            topic: message.topic,
            data: message.data,
            from: message.from,
            clients: message.clients,
          });
        }
        return;
      case 'peer-joined':
      case 'peer-updated':
        if (message.topic === this.#topic) this.events.emit(message.type, message.peer);
        return;
      case 'peer-left':
        if (message.topic === this.#topic) {
          this.events.emit('peer-left', { peerId: message.peerId, reason: message.reason });
        }
        return;
      case 'sfu-signal':
        if (message.topic === this.#topic) this.events.emit('sfu-signal', message.signal);
        return;
      case 'room-route':
        if (message.topic === this.#topic) {
          this.events.emit('room-route', { mode: message.mode, sources: message.sources });
        }
        return;
      case 'peer-recording':
        if (message.topic === this.#topic) {
          if (message.peerId === this.#resume?.peerId && !message.on) this.#recording = false;
          this.events.emit('peer-recording', { peerId: message.peerId, on: message.on });
        }
        return;
      case 'recording-permission':
        if (message.topic === this.#topic) {
          this.#mayRecord = message.allowed;
          if (!message.allowed) this.#recording = false;
          this.events.emit('may-record', message.allowed);
        }
        return;
      case 'pong':
        return;
      case 'error':
        this.#handleRelayError(message);
        return;
    }
  }

  async #subscribe(): Promise<void> {
    const socket = this.#socket;
    let grant: TicketGrant;
    try {
      grant = this.#grant ?? (await this.#options.getTicket());
      this.#grant = null;
    } catch (error) {
      const fatal = isFatalTicketError(error);
      this.events.emit('error', { code: errorCode(error), message: errorMessage(error), fatal });
      if (fatal) this.#stop(errorMessage(error));
      else socket?.close(1000, 'no ticket');
      return;
    }
    if (this.#disposed || socket !== this.#socket) return;
    if (grant.url !== undefined && grant.url !== this.#url) {
      // The room lives on another relay now: take this ticket there.
      this.#grant = grant;
      this.#url = grant.url;
      socket?.close(1000, 'relay moved');
      return;
    }
    this.#topic = grant.topic;
    this.#send({
      type: 'subscribe',
      topics: [grant.topic],
      ticket: grant.ticket,
      client: this.#options.clientId,
      ...(this.#resume ? { resume: this.#resume } : {}),
    });
  }

  #handleRelayError(message: ErrorMessage): void {
    // A signal that crossed its target's departure: the roster's `peer-left` follows and the mesh
    // drops the link. Not a problem to show (the page keeps an error until the next reconnect).
    if (message.code === ErrorCode.UnknownPeer) return;
    // Refused (or stopped) recording: do not say it again on the next subscribe.
    if (message.code === ErrorCode.RecordingNotAllowed) this.#recording = false;
    const fatal = FATAL_CODES.has(message.code);
    this.events.emit('error', { code: message.code, message: message.message, fatal });
    if (fatal) {
      this.#stop(message.message);
    } else if (RETRY_CODES.has(message.code)) {
      // A fresh ticket (or a free seat) may fix it: try again on a new connection, after the backoff.
      this.#socket?.close(1000, message.code);
    }
  }

  #fail(error: { code: string; message: string }): void {
    this.events.emit('error', { ...error, fatal: true });
    this.#stop(error.message);
  }

  #stop(detail: string): void {
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    this.#topic = null;
    if (socket) {
      // Nothing the relay still sends on this socket may revive the room (a late peer-joined, say).
      socket.onclose = socket.onmessage = null;
      socket.close(1000, 'stopped');
    }
    this.#setState(SignalingState.Stopped, detail);
  }

  /**
   * Reconnects after the backoff. `relocate`: the relay was not reached at all (it may be gone for
   * good), so first ask for a ticket, which names the relay the room is placed on now.
   */
  #scheduleReconnect(detail: string, relocate = false): void {
    if (this.#disposed || this.#state === SignalingState.Stopped) return;
    this.#setState(SignalingState.Reconnecting, detail);
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#options.backoff.max);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (relocate) void this.#relocate();
      else this.#connect();
    }, delay);
  }

  async #relocate(): Promise<void> {
    let grant: TicketGrant;
    try {
      grant = await this.#options.getTicket();
    } catch (error) {
      if (this.#disposed || this.#state === SignalingState.Stopped) return;
      const fatal = isFatalTicketError(error);
      this.events.emit('error', { code: errorCode(error), message: errorMessage(error), fatal });
      if (fatal) this.#stop(errorMessage(error));
      else this.#scheduleReconnect(errorMessage(error), true);
      return;
    }
    if (this.#disposed || this.#state === SignalingState.Stopped || this.#socket) return;
    this.#grant = grant;
    if (grant.url !== undefined) this.#url = grant.url;
    this.#connect();
  }

  #startPing(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => this.#send({ type: 'ping' }), this.#options.pingIntervalMs);
  }

  #clearTimers(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#retryTimer = this.#pingTimer = null;
  }

  #send(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  #setState(state: SignalingState, detail?: string): void {
    if (this.#state === state && detail === undefined) return;
    this.#state = state;
    this.events.emit('state', detail === undefined ? { state } : { state, detail });
  }
}

/** Ticket errors carry an HTTP status (PocketBase SDK errors do): 401/403/404 will not heal by retrying. */
function isFatalTicketError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 401 || status === 403 || status === 404;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown; response?: { code?: unknown } } | null)?.response?.code;
  return typeof code === 'string' ? code : 'ticket-unavailable';
}

function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Could not get a ticket for this studio.';
}
