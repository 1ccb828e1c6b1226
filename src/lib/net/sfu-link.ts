/**
 * This player's one WebRTC connection to the relay's SFU (protocol/sfu.ts): the browser offers, the
 * relay answers, both over the signaling socket (`sfu-signal`). It carries one pre-negotiated data
 * channel, unordered and without retransmits, which is handed to `onChannel` in the task that created
 * it so the owner can transfer it to the audio Worker (Chromium allows the transfer only then). After a
 * transfer the channel's events fire in the Worker, so "open" here is the connection's state.
 *
 * While the link exists it keeps a connection up: an attempt that does not connect in time, fails, or
 * stays disconnected is torn down and retried with backoff; `restart()` starts a fresh attempt at once
 * (after our relay connection came back, the relay may have lost the old one). `dispose()` ends it.
 * Invariants: at most one RTCPeerConnection at a time; each attempt's channel is released exactly once.
 */
import type { PeerSignal } from '../protocol/mesh-signal';
import { SFU_CHANNEL } from '../protocol/sfu';
import { Emitter } from '../util/emitter';

export type SfuLinkState = 'connecting' | 'open' | 'retrying' | 'closed';

export interface SfuLinkEvents extends Record<string, unknown> {
  state: SfuLinkState;
}

export interface SfuLinkOptions {
  /** ICE servers for each attempt (read anew: TURN credentials are refreshed with tickets). */
  iceServers(): RTCIceServer[];
  /** Sends a description or candidate to the relay; false when the signaling socket is down. */
  sendSignal(signal: PeerSignal): boolean;
  /** Receives each attempt's channel synchronously; returns the function that releases it. */
  onChannel(channel: RTCDataChannel): () => void;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
  /** An attempt that has not connected after this long is retried (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a disconnected connection may recover before it is retried (default 5 s). */
  recoveryMs?: number;
  /** Delay before a retry: starts at `min`, doubles up to `max` (default 500 ms … 10 s). */
  backoff?: { min: number; max: number };
  onError?: (error: unknown) => void;
}

interface Attempt {
  pc: RTCPeerConnection;
  release: () => void;
  /** Candidates that arrived before the answer. */
  pending: RTCIceCandidateInit[];
  answered: boolean;
  chain: Promise<void>;
  timer: ReturnType<typeof setTimeout> | null;
}

export class SfuLink {
  readonly events = new Emitter<SfuLinkEvents>();
  readonly #options: SfuLinkOptions;
  readonly #backoff: { min: number; max: number };
  #attempt: Attempt | null = null;
  #retryDelay: number;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #state: SfuLinkState = 'connecting';
  #disposed = false;

  constructor(options: SfuLinkOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? { min: 500, max: 10_000 };
    this.#retryDelay = this.#backoff.min;
    this.#connect();
  }

  get state(): SfuLinkState {
    return this.#state;
  }

  /** The current attempt's connection (for path diagnostics); null between attempts. */
  get peerConnection(): RTCPeerConnection | null {
    return this.#attempt?.pc ?? null;
  }

  /** A description or candidate from the relay, applied in order to the current attempt. */
  handleSignal(signal: PeerSignal): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    attempt.chain = attempt.chain
      .then(() => this.#apply(attempt, signal))
      .catch((error: unknown) => this.#report(attempt, error));
  }

  /**
   * The relay gave up on our connection before it opened (it said so on the signaling socket): drop
   * this attempt and try again after the backoff. An open connection is kept (the notice was about an
   * earlier one).
   */
  retry(): void {
    const attempt = this.#attempt;
    if (this.#disposed || !attempt || this.#state === 'open') return;
    this.#fail(attempt);
  }

  /** Drops the current connection and starts a new one now (backoff reset). */
  restart(): void {
    if (this.#disposed) return;
    this.#retryDelay = this.#backoff.min;
    this.#clearRetry();
    this.#teardown();
    this.#connect();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#clearRetry();
    this.#teardown();
    this.#setState('closed');
    this.events.clear();
  }

  #connect(): void {
    if (this.#disposed) return;
    this.#setState('connecting');
    const create = this.#options.createPeerConnection ?? ((config) => new RTCPeerConnection(config));
    let pc: RTCPeerConnection;
    try {
      pc = create({ iceServers: this.#options.iceServers(), bundlePolicy: 'max-bundle' });
    } catch (error) {
      this.#options.onError?.(error);
      this.#scheduleRetry();
      return;
    }
    const channel = pc.createDataChannel(SFU_CHANNEL.label, {
      negotiated: true,
      id: SFU_CHANNEL.id,
      ordered: false,
      maxRetransmits: 0,
    });
    channel.binaryType = 'arraybuffer';
    const attempt: Attempt = {
      pc,
      release: this.#options.onChannel(channel),
      pending: [],
      answered: false,
      chain: Promise.resolve(),
      timer: null,
    };
    this.#attempt = attempt;
    attempt.timer = setTimeout(() => this.#fail(attempt), this.#options.connectTimeoutMs ?? 10_000);
    pc.onicecandidate = ({ candidate }) => {
      if (this.#attempt !== attempt) return;
      this.#options.sendSignal({ kind: 'candidate', candidate: candidate ? candidate.toJSON() : null });
    };
    pc.onconnectionstatechange = () => this.#onConnectionState(attempt);
    attempt.chain = this.#offer(attempt).catch((error: unknown) => this.#report(attempt, error));
  }

  async #offer(attempt: Attempt): Promise<void> {
    const offer = await attempt.pc.createOffer();
    if (this.#attempt !== attempt) return;
    await attempt.pc.setLocalDescription(offer);
    const local = attempt.pc.localDescription;
    if (this.#attempt !== attempt || !local) return;
    // Unsent (no relay connection right now): the attempt times out, or restart() follows the resume.
    this.#options.sendSignal({ kind: 'description', description: { type: local.type, sdp: local.sdp } });
  }

  async #apply(attempt: Attempt, signal: PeerSignal): Promise<void> {
    if (this.#attempt !== attempt) return;
    const pc = attempt.pc;
    if (signal.kind === 'candidate') {
      if (!signal.candidate) return; // end of candidates: nothing to do for a data-only connection
      if (!attempt.answered) attempt.pending.push(signal.candidate);
      else await pc.addIceCandidate(signal.candidate);
      return;
    }
    const description = signal.description as RTCSessionDescriptionInit;
    // We always offer; an answer to an earlier attempt's offer, or any offer, is not for this one.
    if (description.type !== 'answer' || pc.signalingState !== 'have-local-offer') return;
    await pc.setRemoteDescription(description);
    attempt.answered = true;
    for (const candidate of attempt.pending.splice(0)) await pc.addIceCandidate(candidate);
  }

  #onConnectionState(attempt: Attempt): void {
    if (this.#attempt !== attempt) return;
    const state = attempt.pc.connectionState;
    if (state === 'connected') {
      this.#clearTimer(attempt);
      this.#retryDelay = this.#backoff.min;
      this.#setState('open');
    } else if (state === 'failed' || state === 'closed') {
      this.#fail(attempt);
    } else if (state === 'disconnected') {
      this.#clearTimer(attempt);
      attempt.timer = setTimeout(() => this.#fail(attempt), this.#options.recoveryMs ?? 5000);
    }
  }

  #fail(attempt: Attempt): void {
    if (this.#attempt !== attempt || this.#disposed) return;
    this.#teardown();
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#disposed || this.#retryTimer) return;
    this.#setState('retrying');
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#backoff.max);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
  }

  #teardown(): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    this.#attempt = null;
    this.#clearTimer(attempt);
    const pc = attempt.pc;
    pc.onicecandidate = pc.onconnectionstatechange = null;
    attempt.release();
    pc.close();
  }

  #clearTimer(attempt: Attempt): void {
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = null;
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #report(attempt: Attempt, error: unknown): void {
    if (this.#attempt !== attempt || this.#disposed) return;
    (this.#options.onError ?? ((e) => console.warn('sfu link', e)))(error);
  }

  #setState(state: SfuLinkState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.events.emit('state', state);
  }
}
