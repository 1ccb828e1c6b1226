/**
 * The Worker's side of the relay's SFU: its transports (normally one; a second while a connection to
 * the relay is replaced), the relay's source-index mapping, the keys, and the counters. Up: each of our
 * frames is sealed once and sent once per SFU transport. Down: each bundle entry's index is mapped to a
 * source, the frame opened with that source's key and handed to the source's stream, which drops it by
 * sequence number if a direct transport brought it first. A relay that sends one source's frames under
 * another's index gains nothing: the frame does not open with the other source's key.
 */
import type { SfuSourceKey, SfuStats, SourceStats } from '../../protocol/audio-worker';
import { SFU_MAX_SOURCE_INDEX, SFU_MAX_UPSTREAM_BYTES } from '../../protocol/sfu';
import type { ClockEstimate } from './clock-offset';
import type { FrameTransport } from './frame-transport';
import { FrameSealer, type FrameKey } from '../../protocol/sealed-frame';
import { SfuKeys } from './sfu-keys';
import { SfuTransport } from './sfu-transport';

/** What a source counts of the SFU path (reset with the source). */
export type SfuSourceCounters = Pick<SourceStats, 'sfuFrames' | 'undecryptableFrames' | 'tamperedFrames'>;

export const newSfuSourceCounters = (): SfuSourceCounters => ({
  sfuFrames: 0,
  undecryptableFrames: 0,
  tamperedFrames: 0,
});

/** A source as the router sees it: where its opened frames go, and its counters. */
export interface SfuSink {
  receive(frame: Uint8Array): void;
  readonly sfu: SfuSourceCounters;
}

export class SfuRouter {
  readonly #keys = new SfuKeys();
  readonly #source: (sourceKey: string) => SfuSink | undefined;
  readonly #now: () => number;
  readonly #transports = new Map<string, SfuTransport>();
  /** Source index → source key, from the relay's `room-route`. */
  #indexes = new Map<number, string>();
  #sending = false;
  /** Totals of transports already removed, so the stats do not go backwards. */
  #gone = { framesSent: 0, skippedSends: 0, bundles: 0, badBundles: 0 };
  #oversizeFrames = 0;
  #unkeyedFrames = 0;
  #unknownSourceFrames = 0;

  constructor(options: { source: (sourceKey: string) => SfuSink | undefined; now: () => number }) {
    this.#source = options.source;
    this.#now = options.now;
  }

  has(transportId: string): boolean {
    return this.#transports.has(transportId);
  }

  /** Adds a transport; returns it so the caller can feed it what its channel receives. */
  add(transportId: string, transport: FrameTransport): SfuTransport {
    this.remove(transportId);
    const link = new SfuTransport({
      id: transportId,
      transport,
      now: this.#now,
      onEntry: (index, frame) => this.#receive(index, frame),
    });
    this.#transports.set(transportId, link);
    return link;
  }

  /** Removes a transport (false if it is not ours). */
  remove(transportId: string): boolean {
    const link = this.#transports.get(transportId);
    if (!link) return false;
    this.#transports.delete(transportId);
    this.#gone.framesSent += link.framesSent;
    this.#gone.skippedSends += link.skippedSends;
    this.#gone.bundles += link.bundles;
    this.#gone.badBundles += link.badBundles + link.badPings;
    link.close();
    return true;
  }

  /** Fallback: a message the main thread relayed from the channel it kept. */
  receive(transportId: string, bytes: Uint8Array): void {
    this.#transports.get(transportId)?.receive(bytes);
  }

  /** Replaces the index mapping; entries that are not a u16 index and a key are ignored. */
  setSources(sources: readonly SfuSourceKey[]): void {
    const indexes = new Map<number, string>();
    for (const { index, sourceKey } of sources) {
      if (
        Number.isInteger(index) &&
        index >= 0 &&
        index <= SFU_MAX_SOURCE_INDEX &&
        typeof sourceKey === 'string'
      ) {
        indexes.set(index, sourceKey);
      }
    }
    this.#indexes = indexes;
  }

  /** Our key for sealing from now on; an error text when it cannot be used (the previous one stays). */
  setSendKey(key: FrameKey): string | null {
    return this.#keys.setSend(key);
  }

  /** A key `sourceKey` seals with; an error text when it is malformed. */
  setSourceKey(sourceKey: string, key: FrameKey): string | null {
    return typeof sourceKey === 'string'
      ? this.#keys.setSource(sourceKey, key)
      : 'source key must be a string';
  }

  /** The source left: its keys go too. */
  removeSourceKeys(sourceKey: string): void {
    this.#keys.removeSource(sourceKey);
  }

  setSending(enabled: boolean): void {
    this.#sending = enabled;
  }

  /** Our encoded frame: sealed once and sent on every SFU transport, while sending is on. */
  send(frame: Uint8Array): void {
    if (!this.#sending || this.#transports.size === 0) return;
    const sealer = this.#keys.sealer;
    if (!sealer) {
      this.#unkeyedFrames++; // no key yet, or the current one is used up (the session rotates)
      return;
    }
    if (FrameSealer.sealedBytes(frame.length) > SFU_MAX_UPSTREAM_BYTES) {
      this.#oversizeFrames++; // the relay would drop it: it cannot fit a bundle
      return;
    }
    const sealed = sealer.seal(frame);
    if (!sealed) {
      this.#unkeyedFrames++;
      return;
    }
    for (const link of this.#transports.values()) link.send(sealed);
  }

  ping(): void {
    for (const link of this.#transports.values()) link.ping();
  }

  stats(): SfuStats {
    const totals = { ...this.#gone };
    let rttMs: number | null = null;
    let clock: ClockEstimate | null = null;
    for (const link of this.#transports.values()) {
      const offset = link.clockOffset();
      if (offset && (!clock || offset.uncertaintyMs < clock.uncertaintyMs)) clock = offset;
      totals.framesSent += link.framesSent;
      totals.skippedSends += link.skippedSends;
      totals.bundles += link.bundles;
      totals.badBundles += link.badBundles + link.badPings;
      const rtt = link.rttMs;
      if (rtt !== null && (rttMs === null || rtt < rttMs)) rttMs = rtt;
    }
    return {
      transports: this.#transports.size,
      rttMs,
      clockOffsetMs: clock?.offsetMs ?? null,
      clockUncertaintyMs: clock?.uncertaintyMs ?? null,
      ...totals,
      oversizeFrames: this.#oversizeFrames,
      unkeyedFrames: this.#unkeyedFrames,
      unknownSourceFrames: this.#unknownSourceFrames,
    };
  }

  close(): void {
    for (const id of [...this.#transports.keys()]) this.remove(id);
    this.#keys.clear();
  }

  #receive(index: number, sealed: Uint8Array): void {
    const sourceKey = this.#indexes.get(index);
    const source = sourceKey === undefined ? undefined : this.#source(sourceKey);
    if (!source) {
      this.#unknownSourceFrames++;
      return;
    }
    const opened = this.#keys.open(sourceKey!, sealed);
    if (!opened.ok) {
      // `malformed` and `tampered` alike: not an authentic frame of this source.
      if (opened.reason === 'unknown-key') source.sfu.undecryptableFrames++;
      else source.sfu.tamperedFrames++;
      return;
    }
    source.sfu.sfuFrames++;
    source.receive(opened.frame);
  }
}
