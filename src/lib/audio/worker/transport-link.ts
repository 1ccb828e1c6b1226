/**
 * One direct transport in the Worker: a way a source's frames arrive and ours leave (a transferred data
 * channel, or the main-thread relay in the fallback). It sends our frames (skipping rather than
 * queueing late), answers and sends RTT probes, and hands every audio frame to `onFrame`; decoding is
 * the source's business (SourceStream), so two transports of one source share one decoder.
 */
import type { CaptureAnchor } from '../../protocol/link-ping';
import type { ClockEstimate } from './clock-offset';
import { LinkProbe } from './link-probe';
import { MAX_BUFFERED_BYTES, type FrameTransport } from './frame-transport';

export type { FrameTransport } from './frame-transport';

export class TransportLink {
  readonly id: string;
  readonly sourceKey: string;
  readonly #transport: FrameTransport;
  readonly #probe: LinkProbe;
  readonly #onFrame: (bytes: Uint8Array) => void;
  #closed = false;
  framesSent = 0;
  skippedSends = 0;

  constructor(options: {
    id: string;
    sourceKey: string;
    transport: FrameTransport;
    /** This side's epoch clock, ms (probes measure the clock offset against it). */
    now: () => number;
    onFrame: (bytes: Uint8Array) => void;
    /** Our latest capture anchor, which our pongs carry (recording at the far side needs it). */
    anchor?: () => CaptureAnchor | null;
  }) {
    this.id = options.id;
    this.sourceKey = options.sourceKey;
    this.#transport = options.transport;
    this.#probe = new LinkProbe(options.transport, options.now, options.anchor);
    this.#onFrame = options.onFrame;
  }

  /** Smoothed round-trip time, ms; null until measured. */
  get rttMs(): number | null {
    return this.#probe.rttMs;
  }

  /** The far side's latest capture anchor (its clock); null before its first clock pong. */
  get remoteAnchor(): CaptureAnchor | null {
    return this.#probe.remoteAnchor;
  }

  /** The far side's clock − ours; null until measured. */
  clockOffset(): ClockEstimate | null {
    return this.#probe.clockOffset();
  }

  /** Malformed probes (audio frames are judged by the source). */
  get badPings(): number {
    return this.#probe.badPings;
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
    if (!this.#closed) this.#probe.ping();
  }

  /** One message from the channel: a probe is handled here, anything else goes to the source. */
  receive(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (bytes.length > 0 && bytes[0]! >= 0x80) this.#probe.receive(bytes);
    else this.#onFrame(bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }
}
