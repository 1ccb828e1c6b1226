/**
 * Test support for the relay's SFU: a synthetic player in Node (node-datachannel) that joins a studio
 * through the real signaling socket with a ticket, negotiates its SFU connection with `sfu-signal`
 * exactly as a browser does (it offers; the channel is pre-negotiated), sends sealed-frame-shaped
 * frames and collects the bundles the relay sends it. Plus {@link forceRoomMode}, the signed control
 * message that pins a live room's mode.
 */
import { PeerConnection, type DataChannel } from 'node-datachannel';
import { LinkPingKind, readClockPong, writeLinkPing } from '../../src/lib/protocol/link-ping';
import {
  RELAY_CONTROL_VERSION,
  type RelayControl,
  type RoomModeSetting,
} from '../../src/lib/protocol/relay-control';
import {
  FRAME_SEQ_OFFSET,
  SEALED_FRAME_VERSION,
  SFU_CHANNEL,
  readBundle,
  type RoomRouteMessage,
} from '../../src/lib/protocol/sfu';
import { parseServerMessage, type ServerMessage } from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { postControl, TestClient, type ControlReply } from './relay';
import { signTicket, TEST_TICKET_SECRET } from './tickets';

/** Pins (`mesh`/`sfu`) or releases (`auto`) the mode of a studio's live room on the relay. */
export async function forceRoomMode(
  relayHttpUrl: string,
  secret: string,
  studio: string,
  mode: RoomModeSetting,
): Promise<ControlReply> {
  const control: RelayControl = {
    v: RELAY_CONTROL_VERSION,
    kind: 'room-mode',
    studio,
    mode,
    iat: Math.floor(Date.now() / 1000),
  };
  return postControl({ httpUrl: relayHttpUrl }, control, { secret });
}

/**
 * A frame shaped like a sealed audio frame: version byte 3, the 16-byte header with `seq`, then
 * `payloadBytes` bytes. The payload starts with `marker` (u32 LE) so a test can tell frames apart.
 */
export function sealedFrame(seq: number, payloadBytes = 40, marker = 0, flags = 0): Uint8Array {
  const frame = new Uint8Array(16 + payloadBytes);
  const view = new DataView(frame.buffer);
  frame[0] = SEALED_FRAME_VERSION;
  frame[1] = 1; // Opus
  frame[2] = 1; // mono
  frame[3] = flags;
  view.setUint32(FRAME_SEQ_OFFSET, seq >>> 0, true);
  view.setUint32(8, (seq * 120) >>> 0, true);
  view.setUint16(12, 120, true);
  if (payloadBytes >= 4) view.setUint32(16, marker >>> 0, true);
  for (let i = 20; i < frame.length; i++) frame[i] = (seq + i) & 0xff;
  return frame;
}

export interface ReceivedFrame {
  sourceIndex: number;
  seq: number;
  marker: number;
  bytes: Uint8Array;
}

export interface SfuPlayerOptions {
  wsUrl: string;
  studio: string;
  secret?: string;
  /** The ticket's `maxPlayers` claim (its default otherwise). */
  maxPlayers?: number;
}

export class SfuPlayer {
  readonly client: TestClient;
  readonly topic: string;
  /** Every `room-route` the relay sent, oldest first. */
  readonly routes: RoomRouteMessage[] = [];
  /** Frames out of every bundle received. */
  readonly frames: ReceivedFrame[] = [];
  /** Messages on the SFU channel that were not well-formed bundles (a failing relay). */
  badBundles = 0;
  bundles = 0;
  pongs = 0;
  /** `error` messages the relay sent on the signaling socket. */
  readonly errors: { code: string; message: string }[] = [];
  #pc: PeerConnection | null = null;
  #channel: DataChannel | null = null;
  #answered = false;
  /** Our candidates until the relay's answer is applied (null after). */
  #heldCandidates: unknown[] | null = null;
  #signalsIn = 0;
  /** Relay candidates that arrived before its answer (a relay is free to send them so). */
  readonly #earlyCandidates: { candidate: string; mid: string }[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(client: TestClient, topic: string) {
    this.client = client;
    this.topic = topic;
    client.socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const parsed = parseServerMessage(String(data));
      if (parsed.ok) this.#onSignaling(parsed.message);
    });
  }

  /** Connects, joins `studio` with a fresh ticket and returns the player (not yet on the SFU). */
  static async join(options: SfuPlayerOptions): Promise<SfuPlayer> {
    const client = await TestClient.connect(options.wsUrl);
    const topic = studioTopic(options.studio);
    const player = new SfuPlayer(client, topic);
    const ticket = signTicket(options.secret ?? TEST_TICKET_SECRET, {
      studio: options.studio,
      ...(options.maxPlayers === undefined ? {} : { maxPlayers: options.maxPlayers }),
    });
    await client.join(topic, ticket);
    return player;
  }

  get peerId(): string {
    return this.client.peerId;
  }

  /** The newest `room-route`. */
  get route(): RoomRouteMessage | undefined {
    return this.routes.at(-1);
  }

  /** This player's source index per the newest `room-route`. */
  get sourceIndex(): number | undefined {
    return this.route?.sources.find((s) => s.peerId === this.peerId)?.index;
  }

  /**
   * Negotiates the SFU connection (offer → answer, trickled candidates) and waits for the channel.
   * Like the browser's SfuLink, a connection that fails is replaced by a new one (a new offer), up to
   * `attempts` times: between two libdatachannel peers about one DTLS handshake in 50–100 fails on a
   * loaded machine (`certificate verify failed`), which the relay answers with `sfu-unavailable`.
   */
  async connectSfu(timeoutMs = 20_000, attempts = 3): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.sfuAttempts = attempt;
      const outcome = await this.#attempt(timeoutMs);
      if (outcome === 'open') return;
      if (attempt >= attempts) throw new Error(outcome);
      this.closeSfu();
    }
  }

  /** SFU connections tried by the last {@link connectSfu}. */
  sfuAttempts = 0;

  async #attempt(timeoutMs: number): Promise<'open' | string> {
    const pc = new PeerConnection(`player-${this.peerId.slice(0, 6)}`, { iceServers: [] });
    this.#pc = pc;
    this.#answered = false;
    this.#earlyCandidates.length = 0;
    // Our candidates go out only once the relay's answer is applied. Sent with the offer, they let
    // the relay's ICE checks arrive before the answer; libdatachannel then connects ICE the moment
    // the answer is set, and checks the relay's certificate before it has stored the answer's
    // fingerprint ("certificate verify failed", ~1 in 50 connections). Browsers do not race so.
    this.#heldCandidates = [];
    pc.onLocalDescription((sdp, type) => {
      if (type === 'offer') this.sendSignal({ kind: 'description', description: { type, sdp } });
    });
    pc.onLocalCandidate((candidate, mid) => {
      const text = candidate.startsWith('a=') ? candidate.slice(2) : candidate;
      const signal = { kind: 'candidate', candidate: { candidate: text, sdpMid: mid, sdpMLineIndex: 0 } };
      if (this.#heldCandidates) this.#heldCandidates.push(signal);
      else this.sendSignal(signal);
    });
    let failed = false;
    pc.onStateChange((state) => {
      if (state === 'failed' || state === 'closed') failed = true;
      this.#wake();
    });
    const channel = pc.createDataChannel(SFU_CHANNEL.label, {
      negotiated: true,
      id: SFU_CHANNEL.id,
      unordered: true,
      maxRetransmits: 0,
    });
    this.#channel = channel;
    channel.onMessage((message) => {
      if (typeof message === 'string') {
        this.badBundles++;
      } else {
        this.#onChannelMessage(new Uint8Array(message as ArrayBuffer));
      }
      this.#wake();
    });
    try {
      await this.waitUntil(() => channel.isOpen() || failed, timeoutMs, 'the SFU channel to open');
      if (channel.isOpen() && (await this.#relayAnswers(timeoutMs))) return 'open';
    } catch {
      // Timed out: described below.
    }
    // Say where it stopped: signaling, ICE or DTLS/SCTP.
    return `The SFU channel did not open (pc ${pc.state()}, ice ${pc.iceState()}, signaling ${pc.signalingState()}, signals in ${this.#signalsIn}, errors ${JSON.stringify(this.errors)}).`;
  }

  /**
   * Pings until the relay pongs: the channel is open at the relay too (ours opens first), so frames
   * sent from now on are forwarded to us and from us.
   */
  async #relayAnswers(timeoutMs: number): Promise<boolean> {
    const pongs = this.pongs;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.#channel?.isOpen()) {
      this.ping(0);
      try {
        await this.waitUntil(() => this.pongs > pongs, 200, 'a pong');
        return true;
      } catch {
        // Not yet: ping again (pings are unreliable like frames).
      }
    }
    return false;
  }

  /** Sends one `sfu-signal` (also for tests that send hostile signals). */
  sendSignal(signal: unknown): void {
    this.client.send({ type: 'sfu-signal', topic: this.topic, signal });
  }

  routeRequest(unreachable: boolean): void {
    this.client.send({ type: 'route-request', topic: this.topic, unreachable });
  }

  /** Sends raw bytes on the SFU channel; false if it was not open. */
  sendRaw(bytes: Uint8Array | string): boolean {
    const channel = this.#channel;
    if (!channel?.isOpen()) return false;
    return typeof bytes === 'string' ? channel.sendMessage(bytes) : channel.sendMessageBinary(bytes);
  }

  sendFrame(seq: number, payloadBytes = 40, marker = 0): boolean {
    return this.sendRaw(sealedFrame(seq, payloadBytes, marker));
  }

  ping(id: number): boolean {
    return this.sendRaw(writeLinkPing(LinkPingKind.Ping, id, 1234.5));
  }

  /** Frames received from `sourceIndex`. */
  framesFrom(sourceIndex: number): ReceivedFrame[] {
    return this.frames.filter((f) => f.sourceIndex === sourceIndex);
  }

  /** Waits for the next `room-route` that satisfies `match` (including one already received). */
  async routeWhere(
    match: (route: RoomRouteMessage) => boolean,
    timeoutMs = 5_000,
  ): Promise<RoomRouteMessage> {
    await this.waitUntil(() => this.routes.some(match), timeoutMs, 'a matching room-route');
    return this.routes.filter(match).at(-1)!;
  }

  async waitUntil(condition: () => boolean, timeoutMs = 5_000, what = 'a condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
      await new Promise<void>((wake) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          wake();
        };
        const timer = setTimeout(done, Math.min(remaining, 50));
        this.#waiters.add(done);
      });
    }
  }

  /** Closes the SFU connection only (the seat stays). */
  closeSfu(): void {
    try {
      this.#channel?.close();
      this.#pc?.close();
    } catch {
      // Already closed.
    }
    this.#channel = null;
    this.#pc = null;
  }

  /** Leaves the studio and closes everything. */
  async close(): Promise<void> {
    this.closeSfu();
    await this.client.close();
  }

  #onSignaling(message: ServerMessage): void {
    if (message.type === 'room-route' && message.topic === this.topic) this.routes.push(message);
    if (message.type === 'error') this.errors.push({ code: message.code, message: message.message });
    if (message.type === 'sfu-signal' && message.topic === this.topic && this.#pc) {
      this.#signalsIn++;
      const { signal } = message;
      try {
        if (signal.kind === 'description' && signal.description.sdp !== undefined) {
          this.#pc.setRemoteDescription(signal.description.sdp, signal.description.type);
          this.#answered = true;
          const held = this.#heldCandidates ?? [];
          this.#heldCandidates = null;
          for (const candidate of held) this.sendSignal(candidate);
          for (const c of this.#earlyCandidates.splice(0)) this.#pc.addRemoteCandidate(c.candidate, c.mid);
        } else if (signal.kind === 'candidate' && signal.candidate?.candidate) {
          const c = { candidate: signal.candidate.candidate, mid: signal.candidate.sdpMid ?? '0' };
          if (this.#answered) this.#pc.addRemoteCandidate(c.candidate, c.mid);
          else this.#earlyCandidates.push(c);
        }
      } catch {
        this.errors.push({ code: 'local', message: 'could not apply the relay signal' });
      }
    }
    this.#wake();
  }

  #onChannelMessage(bytes: Uint8Array): void {
    if (bytes[0] === LinkPingKind.Pong && readClockPong(bytes)) {
      this.pongs++;
      return;
    }
    const bundle = readBundle(bytes);
    if (!bundle.ok) {
      this.badBundles++;
      return;
    }
    this.bundles++;
    for (const { sourceIndex, frame } of bundle.entries) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      this.frames.push({
        sourceIndex,
        seq: frame.length >= 8 ? view.getUint32(FRAME_SEQ_OFFSET, true) : -1,
        marker: frame.length >= 20 ? view.getUint32(16, true) : -1,
        bytes: frame.slice(),
      });
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
