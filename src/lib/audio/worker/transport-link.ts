/**
 * One transport in the Worker: a way a source's frames arrive and ours leave (a transferred data
 * channel, or the main-thread relay in the fallback). It sends our frames (skipping rather than
 * queueing late), answers and sends RTT probes, and hands every audio frame to `onFrame`; decoding is
 * the source's business (SourceStream), so two transports of one source share one decoder.
 */
import { LinkPingKind, readLinkPing, writeLinkPing } from '../../protocol/link-ping';

/** A channel-like transport: a transferred RTCDataChannel, or the main-thread relay in the fallback. */
export interface FrameTransport {
  send(bytes: Uint8Array): void;
  /** Bytes queued and not yet sent; frames are skipped above a threshold rather than queued late. */
  readonly bufferedAmount: number;
  readonly open: boolean;
  close(): void;
}

/** Skip a frame rather than queue it behind this much (33 stereo PCM frames of 2.5 ms; far more Opus). */
const MAX_BUFFERED_BYTES = 16 * 1024;
const RTT_SMOOTHING = 0.2;

export class TransportLink {
  readonly id: string;
  readonly sourceKey: string;
  readonly #transport: FrameTransport;
  readonly #now: () => number;
  readonly #onFrame: (bytes: Uint8Array) => void;
  #pingId = 0;
  #rtt: number | null = null;
  #closed = false;
  framesSent = 0;
  skippedSends = 0;
  /** Malformed probes (audio frames are judged by the source). */
  badPings = 0;

  constructor(options: {
    id: string;
    sourceKey: string;
    transport: FrameTransport;
    now: () => number;
    onFrame: (bytes: Uint8Array) => void;
  }) {
    this.id = options.id;
    this.sourceKey = options.sourceKey;
    this.#transport = options.transport;
    this.#now = options.now;
    this.#onFrame = options.onFrame;
  }

  /** Smoothed round-trip time, ms; null until measured. */
  get rttMs(): number | null {
    return this.#rtt;
  }

  send(bytes: Uint8Array): void {
    const t = this.#transport;
    if (this.#closed || !t.open) return;
    if (t.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.skippedSends++;
      return;
    }
    t.send(bytes);
    this.framesSent++;
  }

  ping(): void {
    if (this.#closed || !this.#transport.open) return;
    this.#transport.send(writeLinkPing(LinkPingKind.Ping, this.#pingId++, this.#now()));
  }

  /** One message from the channel: a probe is handled here, anything else goes to the source. */
  receive(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (bytes.length > 0 && bytes[0]! >= 0x80) this.#receivePing(bytes);
    else this.#onFrame(bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }

  #receivePing(bytes: Uint8Array): void {
    const ping = readLinkPing(bytes);
    if (!ping) {
      this.badPings++;
      return;
    }
    if (ping.kind === LinkPingKind.Ping) {
      if (this.#transport.open) this.#transport.send(writeLinkPing(LinkPingKind.Pong, ping.id, ping.timeMs));
      return;
    }
    const rtt = this.#now() - ping.timeMs;
    if (!(rtt >= 0 && rtt < 10_000)) return;
    this.#rtt = this.#rtt === null ? rtt : this.#rtt + RTT_SMOOTHING * (rtt - this.#rtt);
  }
}
