/**
 * One WebRTC connection to one remote peer, with the "perfect negotiation" pattern so either side may
 * renegotiate (ICE restarts, audio tracks) without glare: the peer with the larger id is polite.
 *
 * Two pre-negotiated data channels (fixed SCTP stream ids, so no `datachannel` event and no id
 * collision): the reliable, ordered one carries Yjs; the audio one is unordered with no retransmits, and
 * is handed to `onAudioChannel` in the task that creates it, so the owner can transfer it to a Worker
 * (Chromium allows the transfer only then). The initiator creates both at once, which starts the
 * negotiation; the other side creates them when the first offer arrives.
 * The fallback audio path adds the microphone's track (`addAudioTrack`); every offer and answer is
 * created explicitly and munged for 10 ms Opus packets (see sdp.ts) before it is set, and remote tracks
 * come out as `track` events with the receiver's jitter buffer target at its minimum, once per track:
 * from the browser's event, or from the transceivers after an exchange where the browser dropped it.
 * Invariants: signals are applied strictly in arrival order (one promise chain); `close` is emitted
 * exactly once, after which the link holds no connection, channel or timer.
 */
import { AUDIO_CHANNEL, RELIABLE_CHANNEL } from '../protocol/data-channels';
import type { PeerSignal } from '../protocol/mesh-signal';
import { Emitter } from '../util/emitter';
import { tuneOpusSdp } from './sdp';

export interface PeerLinkEvents extends Record<string, unknown> {
  open: undefined;
  message: Uint8Array;
  close: { reason: string };
  /** A remote audio track (fallback audio path). */
  track: MediaStreamTrack;
}

export interface AudioReceiveStats {
  /** Cumulative seconds samples spent in the jitter buffer (WebRTC stats `jitterBufferDelay`). */
  jitterBufferDelayS: number;
  jitterBufferEmittedCount: number;
  rttMs: number | null;
}

/** How a link's packets travel: host/server-reflexive candidates on both ends, or through a TURN relay. */
export type IceRoute = 'direct' | 'turn';

export interface PeerLinkOptions {
  remoteId: string;
  initiator: boolean;
  iceServers: RTCIceServer[];
  sendSignal(signal: PeerSignal): void;
  /** How long a failed or disconnected link may try to recover (ICE restart) before it closes. */
  recoveryMs?: number;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
  /** Receives the lossy audio channel synchronously, in the task that created it. */
  onAudioChannel?: (channel: RTCDataChannel) => void;
  onError?: (error: unknown) => void;
}

export class PeerLink {
  readonly remoteId: string;
  readonly events = new Emitter<PeerLinkEvents>();
  readonly #pc: RTCPeerConnection;
  readonly #options: PeerLinkOptions;
  readonly #polite: boolean;
  #channel: RTCDataChannel | null = null;
  #makingOffer = false;
  #ignoreOffer = false;
  #signalChain: Promise<void> = Promise.resolve();
  #recoveryTimer: ReturnType<typeof setTimeout> | null = null;
  #audioSender: RTCRtpSender | null = null;
  /** Remote tracks already handed out as `track` events. */
  readonly #remoteTracks = new WeakSet<MediaStreamTrack>();
  #closed = false;

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.remoteId = options.remoteId;
    this.#polite = !options.initiator;
    const create = options.createPeerConnection ?? ((config) => new RTCPeerConnection(config));
    this.#pc = create({ iceServers: options.iceServers, bundlePolicy: 'max-bundle' });
    this.#pc.onicecandidate = ({ candidate }) =>
      options.sendSignal({ kind: 'candidate', candidate: candidate ? candidate.toJSON() : null });
    this.#pc.onnegotiationneeded = () => void this.#negotiate();
    this.#pc.onconnectionstatechange = () => this.#onConnectionState();
    this.#pc.ontrack = ({ receiver }) => this.#surfaceTrack(receiver);
    if (options.initiator) this.#createChannels();
  }

  get isOpen(): boolean {
    return this.#channel?.readyState === 'open';
  }

  get connectionState(): RTCPeerConnectionState {
    return this.#pc.connectionState;
  }

  /** Sends on the reliable channel; returns false when it is not open. */
  send(bytes: Uint8Array): boolean {
    const channel = this.#channel;
    if (!channel || channel.readyState !== 'open') return false;
    channel.send(bytes as Uint8Array<ArrayBuffer>);
    return true;
  }

  /**
   * Sends `track` to this peer (fallback audio path), or swaps it in place of the one sent. Adding
   * renegotiates through perfect negotiation; replacing does not.
   */
  addAudioTrack(track: MediaStreamTrack): void {
    if (this.#closed) return;
    if (this.#audioSender) {
      if (this.#audioSender.track !== track)
        void this.#audioSender.replaceTrack(track).catch((e: unknown) => this.#reportError(e));
      return;
    }
    this.#audioSender = this.#pc.addTrack(track);
  }

  /** Stops sending the audio track (renegotiates; the transceiver stays, receive-only). */
  removeAudioTrack(): void {
    const sender = this.#audioSender;
    this.#audioSender = null;
    if (!sender || this.#closed) return;
    this.#pc.removeTrack(sender);
  }

  /**
   * Receive-side figures of the audio track (fallback path), for delay estimates: the jitter buffer's
   * cumulative delay and emitted samples (take differences), and the ICE round-trip time. Null when no
   * audio arrives.
   */
  async audioReceiveStats(): Promise<AudioReceiveStats | null> {
    if (this.#closed) return null;
    const report = await this.#pc.getStats();
    let buffer: Omit<AudioReceiveStats, 'rttMs'> | null = null;
    let rttMs: number | null = null;
    for (const entry of report.values() as Iterable<Record<string, unknown>>) {
      if (entry.type === 'inbound-rtp' && entry.kind === 'audio') {
        buffer = {
          jitterBufferDelayS: Number(entry.jitterBufferDelay ?? 0),
          jitterBufferEmittedCount: Number(entry.jitterBufferEmittedCount ?? 0),
        };
      } else if (entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded') {
        if (typeof entry.currentRoundTripTime === 'number') rttMs = entry.currentRoundTripTime * 1000;
      }
    }
    return buffer ? { ...buffer, rttMs } : null;
  }

  /**
   * The route of the candidate pair ICE selected: 'turn' when either end is a relay candidate (this
   * side's or the peer's allocation on a TURN server), else 'direct'; null before a pair succeeded or
   * once closed. Reads the transport's `selectedCandidatePairId`, or the nominated succeeded pair where
   * a browser does not report it.
   */
  async iceRoute(): Promise<IceRoute | null> {
    if (this.#closed) return null;
    const report = await this.#pc.getStats();
    const entries = [...(report.values() as Iterable<Record<string, unknown>>)];
    const byId = new Map(entries.map((entry) => [entry.id, entry]));
    const selectedIds = entries.flatMap((e) =>
      e.type === 'transport' && typeof e.selectedCandidatePairId === 'string'
        ? [e.selectedCandidatePairId]
        : [],
    );
    const pair =
      selectedIds.map((id) => byId.get(id)).find((p) => p?.state === 'succeeded') ??
      entries.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
    if (!pair) return null;
    const local = byId.get(pair.localCandidateId);
    const remote = byId.get(pair.remoteCandidateId);
    if (!local || !remote) return null;
    return local.candidateType === 'relay' || remote.candidateType === 'relay' ? 'turn' : 'direct';
  }

  /** Applies a description or candidate from the remote peer, in order. */
  handleSignal(signal: PeerSignal): void {
    this.#signalChain = this.#signalChain
      .then(() => this.#applySignal(signal))
      .catch((error: unknown) => this.#reportError(error));
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearRecovery();
    const channel = this.#channel;
    this.#channel = null;
    if (channel) {
      channel.onopen = channel.onclose = channel.onmessage = null;
      channel.close();
    }
    const pc = this.#pc;
    this.#audioSender = null;
    pc.onicecandidate = pc.onnegotiationneeded = pc.onconnectionstatechange = null;
    pc.ontrack = null;
    pc.close();
    this.events.emit('close', { reason });
    this.events.clear();
  }

  async #applySignal(signal: PeerSignal): Promise<void> {
    if (this.#closed) return;
    const pc = this.#pc;
    if (signal.kind === 'candidate') {
      try {
        await pc.addIceCandidate(signal.candidate ?? undefined);
      } catch (error) {
        // Candidates for an offer we ignored in a collision are expected to fail.
        if (!this.#ignoreOffer) throw error;
      }
      return;
    }
    const description = signal.description as RTCSessionDescriptionInit;
    const collision = description.type === 'offer' && (this.#makingOffer || pc.signalingState !== 'stable');
    this.#ignoreOffer = !this.#polite && collision;
    if (this.#ignoreOffer) return;
    await pc.setRemoteDescription(description); // rolls back our own offer when polite and colliding
    if (description.type === 'offer') {
      // The offer carries the SCTP association: creating the channels now needs no renegotiation.
      if (!this.#channel) this.#createChannels();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription({ type: 'answer', sdp: tuneOpusSdp(answer.sdp ?? '') });
      this.#sendDescription();
    }
    this.#surfaceReceivingTracks();
  }

  async #negotiate(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#makingOffer = true;
      const pc = this.#pc;
      const offer = await pc.createOffer();
      // A remote offer was applied meanwhile (we are polite, or it is an answer's turn): that exchange
      // goes first, and negotiationneeded fires again once the state is stable.
      if (pc.signalingState !== 'stable' || this.#closed) return;
      await pc.setLocalDescription({ type: 'offer', sdp: tuneOpusSdp(offer.sdp ?? '') });
      this.#sendDescription();
    } catch (error) {
      // Same race, lost inside setLocalDescription: not an error, the pending exchange wins.
      if (this.#pc.signalingState === 'stable') this.#reportError(error);
    } finally {
      this.#makingOffer = false;
    }
  }

  /** Emits a receiver's audio track once, with its jitter buffer target at its minimum. */
  #surfaceTrack(receiver: RTCRtpReceiver): void {
    const { track } = receiver;
    if (track.kind !== 'audio' || this.#remoteTracks.has(track) || this.#closed) return;
    this.#remoteTracks.add(track);
    // Chromium: play out as early as possible (the default target adds tens of ms).
    const tunable = receiver as RTCRtpReceiver & { jitterBufferTarget?: number | null };
    if ('jitterBufferTarget' in tunable) tunable.jitterBufferTarget = 0;
    this.events.emit('track', track);
  }

  /**
   * After each exchange, every transceiver that receives hands out its track if `track` did not:
   * Chromium (156) never fires `track` when addTrack lands while a remote offer is being applied
   * (addTrack takes over the transceiver that offer created). That is when both players add their
   * microphones on hearing each other, and that side then never played the other's audio.
   */
  #surfaceReceivingTracks(): void {
    if (this.#closed) return;
    for (const transceiver of this.#pc.getTransceivers()) {
      const direction = transceiver.currentDirection;
      if (direction === 'sendrecv' || direction === 'recvonly') this.#surfaceTrack(transceiver.receiver);
    }
  }

  #sendDescription(): void {
    const local = this.#pc.localDescription;
    if (!local || this.#closed) return;
    this.#options.sendSignal({ kind: 'description', description: { type: local.type, sdp: local.sdp } });
  }

  #createChannels(): void {
    const { label, id } = RELIABLE_CHANNEL;
    this.#adoptChannel(this.#pc.createDataChannel(label, { negotiated: true, id, ordered: true }));
    const audio = this.#pc.createDataChannel(AUDIO_CHANNEL.label, {
      negotiated: true,
      id: AUDIO_CHANNEL.id,
      ordered: false,
      maxRetransmits: 0,
    });
    audio.binaryType = 'arraybuffer';
    this.#options.onAudioChannel?.(audio);
  }

  #adoptChannel(channel: RTCDataChannel): void {
    channel.binaryType = 'arraybuffer';
    this.#channel = channel;
    channel.onopen = () => this.events.emit('open', undefined);
    channel.onmessage = ({ data }) => {
      if (data instanceof ArrayBuffer) this.events.emit('message', new Uint8Array(data));
    };
    // The remote peer went away (tab closed, left): SCTP tells us promptly.
    channel.onclose = () => this.close('channel closed');
    if (channel.readyState === 'open') this.events.emit('open', undefined);
  }

  #onConnectionState(): void {
    const state = this.#pc.connectionState;
    if (state === 'connected') {
      this.#clearRecovery();
    } else if (state === 'failed' || state === 'disconnected') {
      // The initiator restarts ICE (the other side follows through negotiation); both give up together.
      if (state === 'failed' && !this.#polite) this.#pc.restartIce();
      this.#recoveryTimer ??= setTimeout(
        () => this.close(`connection ${this.#pc.connectionState}`),
        this.#options.recoveryMs ?? 15_000,
      );
    } else if (state === 'closed') {
      this.close('connection closed');
    }
  }

  #clearRecovery(): void {
    if (this.#recoveryTimer) clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = null;
  }

  #reportError(error: unknown): void {
    if (this.#closed) return;
    (this.#options.onError ?? ((e) => console.warn('peer link', this.remoteId, e)))(error);
  }
}
