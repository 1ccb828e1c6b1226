/**
 * One WebRTC connection to one remote peer, with the "perfect negotiation" pattern so either side may
 * renegotiate (ICE restarts, audio tracks) without glare: the peer with the larger id is polite.
 *
 * Two pre-negotiated data channels (fixed SCTP stream ids, so no `datachannel` event and no id
 * collision): the reliable, ordered one carries Yjs; the audio one is unordered with no retransmits, and
 * is handed to `onAudioChannel` in the task that creates it, so the owner can transfer it to a Worker
 * (Chromium allows the transfer only then). The initiator creates both at once, which starts the
 * negotiation; the other side creates them when the first offer arrives.
 * Invariants: signals are applied strictly in arrival order (one promise chain); `close` is emitted
 * exactly once, after which the link holds no connection, channel or timer.
 */
import type { PeerSignal } from '../protocol/mesh-signal';
import { Emitter } from '../util/emitter';

export const RELIABLE_CHANNEL = { label: 'bandmesh-reliable', id: 0 } as const;
export const AUDIO_CHANNEL = { label: 'bandmesh-audio', id: 1 } as const;

export interface PeerLinkEvents extends Record<string, unknown> {
  open: undefined;
  message: Uint8Array;
  close: { reason: string };
}

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
    pc.onicecandidate = pc.onnegotiationneeded = pc.onconnectionstatechange = null;
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
      await pc.setLocalDescription();
      this.#sendDescription();
    }
  }

  async #negotiate(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#makingOffer = true;
      await this.#pc.setLocalDescription();
      this.#sendDescription();
    } catch (error) {
      this.#reportError(error);
    } finally {
      this.#makingOffer = false;
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
