/**
 * One player's WebRTC connection to the relay's SFU (node-datachannel). The player offers over the
 * signaling socket (`sfu-signal`), this side answers; ICE candidates trickle both ways. The one data
 * channel is pre-negotiated on both sides ({@link SFU_CHANNEL}: id 0, unordered, no retransmits), so
 * no DCEP round trip is needed and a channel with another id is never accepted.
 *
 * ICE binds the configured SFU address and port range and has no STUN or TURN server: the relay is
 * reachable at its own address, and gathering is immediate.
 *
 * Owned by the SFU service; {@link SfuPeer.dispose} closes it exactly once (socket closed, seat gone,
 * channel not open within the open timeout, connection failed).
 */
import { PeerConnection, type DataChannel, type DescriptionType } from 'node-datachannel';
import type { PeerSignal } from '../../../src/lib/protocol/mesh-signal.js';
import { SFU_CHANNEL } from '../../../src/lib/protocol/sfu.js';

/** A channel that has not opened this long after the offer is given up. */
export const SFU_OPEN_TIMEOUT_MS = 30_000;

export interface SfuNetwork {
  host: string;
  /** UDP port range for ICE; 0 and 0 = any port. */
  portMin: number;
  portMax: number;
}

export interface SfuPeerEvents {
  /** A description or candidate for the player. */
  signal(signal: PeerSignal): void;
  open(): void;
  message(message: Buffer | string): void;
  /** The peer is gone (called once, after dispose); `reason` for the log and the player. */
  closed(reason: SfuCloseReason): void;
}

export type SfuCloseReason = 'disposed' | 'open-timeout' | 'failed' | 'channel-closed' | 'bad-offer';

/**
 * The relay is always the DTLS server. An offer says `a=setup:actpass`, and libdatachannel would
 * answer `active` and send its ClientHello as soon as its ICE check succeeds, which over loopback
 * or a LAN is before the player has our answer (the signaling socket is slower than UDP): a player
 * without the relay's fingerprint then drops the hello (a 1 s retransmit) or, with libdatachannel,
 * fails the handshake. Reading the offer as `active` makes the answer `passive`, so the player starts
 * the handshake once it has the answer, which is what the SDP says anyway.
 */
function asActiveOffer(sdp: string): string {
  return sdp.replace(/^a=setup:actpass$/gm, 'a=setup:active');
}

export class SfuPeer {
  readonly #pc: PeerConnection;
  readonly #events: SfuPeerEvents;
  #channel: DataChannel | null = null;
  /**
   * Local candidates held until the answer went out: node-datachannel delivers descriptions and
   * candidates through separate callbacks whose order is not guaranteed, and a player applying a
   * candidate before the answer would lose it.
   */
  #heldCandidates: PeerSignal[] | null = [];
  /** Null once the channel opened. */
  #openTimer: NodeJS.Timeout | null;
  #disposed = false;

  constructor(name: string, network: SfuNetwork, events: SfuPeerEvents, openTimeoutMs = SFU_OPEN_TIMEOUT_MS) {
    this.#events = events;
    this.#pc = new PeerConnection(name, {
      iceServers: [],
      bindAddress: network.host,
      ...(network.portMin > 0 ? { portRangeBegin: network.portMin } : {}),
      ...(network.portMax > 0 ? { portRangeEnd: network.portMax } : {}),
    });
    this.#pc.onLocalDescription((sdp, type) => {
      if (this.#disposed || (type !== 'answer' && type !== 'offer' && type !== 'pranswer')) return;
      this.#events.signal({ kind: 'description', description: { type, sdp } });
      const held = this.#heldCandidates ?? [];
      this.#heldCandidates = null;
      for (const signal of held) this.#events.signal(signal);
    });
    this.#pc.onLocalCandidate((candidate, mid) => {
      if (this.#disposed) return;
      // libdatachannel writes the SDP attribute line; browsers expect the bare "candidate:…".
      const text = candidate.startsWith('a=') ? candidate.slice(2) : candidate;
      const signal: PeerSignal = {
        kind: 'candidate',
        candidate: { candidate: text, sdpMid: mid, sdpMLineIndex: 0 },
      };
      if (this.#heldCandidates) this.#heldCandidates.push(signal);
      else this.#events.signal(signal);
    });
    this.#pc.onStateChange((state) => {
      if (state === 'failed' || state === 'closed') this.#close('failed');
    });
    this.#openTimer = setTimeout(() => this.#close('open-timeout'), openTimeoutMs);
    this.#openTimer.unref();
  }

  get isOpen(): boolean {
    return !this.#disposed && this.#channel !== null && this.#channel.isOpen();
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Applies a description or candidate from the player. Returns false for a description it cannot use. */
  handle(signal: PeerSignal): boolean {
    if (this.#disposed) return false;
    if (signal.kind === 'description') {
      const { type, sdp } = signal.description;
      if (type !== 'offer' || sdp === undefined) return false;
      try {
        this.#pc.setRemoteDescription(asActiveOffer(sdp), type as DescriptionType);
      } catch {
        this.#close('bad-offer');
        return false;
      }
      this.#ensureChannel();
      return true;
    }
    const candidate = signal.candidate;
    // null or "" is the end of the player's candidates: nothing to do.
    if (candidate === null || !candidate.candidate) return true;
    try {
      this.#pc.addRemoteCandidate(candidate.candidate, candidate.sdpMid ?? '0');
    } catch {
      // A candidate libdatachannel cannot parse (or before the offer) is ignored, as browsers do.
    }
    return true;
  }

  /** Sends one binary message; the binding copies it. */
  send(bytes: Uint8Array): void {
    const channel = this.#channel;
    if (channel !== null && !this.#disposed) channel.sendMessageBinary(bytes);
  }

  bufferedAmount(): number {
    const channel = this.#channel;
    return channel !== null && !this.#disposed ? channel.bufferedAmount() : 0;
  }

  dispose(): void {
    this.#close('disposed');
  }

  /** The channel is created after the remote offer, so libdatachannel does not start an offer of its own. */
  #ensureChannel(): void {
    if (this.#channel !== null) return;
    const channel = this.#pc.createDataChannel(SFU_CHANNEL.label, {
      negotiated: true,
      id: SFU_CHANNEL.id,
      unordered: true,
      maxRetransmits: 0,
    });
    this.#channel = channel;
    channel.onOpen(() => this.#opened());
    channel.onMessage((message) => {
      if (this.#disposed) return;
      // The open and message callbacks are not ordered with each other: a message proves the
      // channel open, and the player's first frames must not be dropped for want of the event.
      this.#opened();
      this.#events.message(
        typeof message === 'string' || Buffer.isBuffer(message) ? message : Buffer.from(message),
      );
    });
    channel.onClosed(() => this.#close('channel-closed'));
    channel.onError(() => this.#close('channel-closed'));
  }

  #opened(): void {
    if (this.#disposed || this.#openTimer === null) return;
    clearTimeout(this.#openTimer);
    this.#openTimer = null;
    this.#events.open();
  }

  #close(reason: SfuCloseReason): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#openTimer !== null) clearTimeout(this.#openTimer);
    try {
      this.#channel?.close();
      this.#pc.close();
    } catch {
      // Closing an already-failed connection may throw in the binding; it is closed either way.
    }
    this.#events.closed(reason);
  }
}
