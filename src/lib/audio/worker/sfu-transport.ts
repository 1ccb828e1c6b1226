/**
 * One SFU transport in the Worker: the data channel to the relay (transferred, or relayed by the main
 * thread). Up: our sealed frames, one per message, skipped rather than queued late. Down: bundles of
 * other sources' frames (`sfu.ts`), each entry handed on with the relay's source index, and link probes
 * (the relay answers our pings with its epoch clock, so the RTT and the clock offset are the relay's). Anything else, or a bundle that
 * does not parse, is counted and dropped whole.
 */
import { LinkPingKind } from '../../protocol/link-ping';
import { readBundle, SFU_BUNDLE_KIND } from '../../protocol/sfu';
import { MAX_BUFFERED_BYTES, type FrameTransport } from './frame-transport';
import type { ClockEstimate } from './clock-offset';
import { LinkProbe } from './link-probe';

export class SfuTransport {
  readonly id: string;
  readonly #transport: FrameTransport;
  readonly #probe: LinkProbe;
  readonly #onEntry: (sourceIndex: number, frame: Uint8Array) => void;
  #closed = false;
  framesSent = 0;
  skippedSends = 0;
  bundles = 0;
  badBundles = 0;

  constructor(options: {
    id: string;
    transport: FrameTransport;
    now: () => number;
    onEntry: (sourceIndex: number, frame: Uint8Array) => void;
  }) {
    this.id = options.id;
    this.#transport = options.transport;
    this.#probe = new LinkProbe(options.transport, options.now);
    this.#onEntry = options.onEntry;
  }

  get rttMs(): number | null {
    return this.#probe.rttMs;
  }

  /** The relay's epoch clock − ours; null until a clock pong came. */
  clockOffset(): ClockEstimate | null {
    return this.#probe.clockOffset();
  }

  get badPings(): number {
    return this.#probe.badPings;
  }

  send(sealed: Uint8Array): void {
    const t = this.#transport;
    if (this.#closed || !t.open) return;
    if (t.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.skippedSends++;
      return;
    }
    t.send(sealed);
    this.framesSent++;
  }

  ping(): void {
    if (!this.#closed) this.#probe.ping();
  }

  receive(bytes: Uint8Array): void {
    if (this.#closed || bytes.length === 0) return;
    const kind = bytes[0];
    if (kind === LinkPingKind.Ping || kind === LinkPingKind.Pong) {
      this.#probe.receive(bytes);
      return;
    }
    const bundle = kind === SFU_BUNDLE_KIND ? readBundle(bytes) : null;
    if (!bundle?.ok) {
      this.badBundles++;
      return;
    }
    this.bundles++;
    for (const entry of bundle.entries) this.#onEntry(entry.sourceIndex, entry.frame);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }
}
