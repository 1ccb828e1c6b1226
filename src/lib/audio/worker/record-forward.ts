/**
 * Recording in the audio network Worker: every remote source's decoded frames, copied as they leave for
 * the packet ring and sent to the recorder Worker's port (`FromNet`, protocol/recording.ts) once per
 * {@link RECORD_BATCH_MS}. Contiguous frames of a source (same channels, same concealment, each frame's
 * senderTime where the previous ended) are joined into one chunk, stamped once with the capture time of
 * its first frame on our epoch clock:
 *
 *   captureEpochMs = anchor.epochMs + (senderTime − anchor.senderTime − codec delay) / 48 − offsetMs
 *
 * where the anchor is the sender's capture clock (from its clock pongs) and `offsetMs` its clock − ours
 * (clock-offset.ts). A source without both (no direct link: SFU only) gets `captureEpochMs: null` and is
 * placed by arrival time. This runs off the audio thread: each chunk is a fresh array, transferred.
 */
import { PacketFlag, type PacketMeta } from '../../protocol/audio-layout';
import type { CaptureAnchor } from '../../protocol/link-ping';
import type { FromNet, SourcePcm } from '../../protocol/recording';

export const RECORD_BATCH_MS = 50;
/** Longest chunk (100 ms): a source's scratch buffer holds this many frames. */
const CHUNK_FRAMES = 4800;
const SENDER_RATE_PER_MS = 48;

/** What a source's frames are placed with: the sender's anchor and its clock − ours. */
export interface SourceClock {
  anchor: CaptureAnchor;
  offsetMs: number;
  uncertaintyMs: number;
}

/** The recorder's end of the net port (a MessagePort in the browser). */
export interface RecordPort {
  postMessage(message: FromNet, transfer: Transferable[]): void;
  close(): void;
}

interface Pending {
  captureEpochMs: number | null;
  arrivalEpochMs: number;
  uncertaintyMs: number | null;
  channels: 1 | 2;
  concealed: boolean;
  frames: number;
  /** senderTime of the first frame, and the one the next contiguous frame has. */
  start: number;
  next: number;
}

interface SourceBuffer {
  scratch: Float32Array;
  pending: Pending | null;
}

export class RecordForwarder {
  readonly #port: RecordPort;
  readonly #clockOf: (sourceKey: string) => SourceClock | null;
  readonly #toEpoch: (arrivalTime: number) => number;
  readonly #sources = new Map<string, SourceBuffer>();
  #chunks: SourcePcm[] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(options: {
    port: RecordPort;
    /** The source's clock, or null without one. */
    clockOf: (sourceKey: string) => SourceClock | null;
    /** A packet's `arrivalTime` (the Worker's performance.now()) on our epoch clock. */
    toEpoch: (arrivalTime: number) => number;
    batchMs?: number;
  }) {
    this.#port = options.port;
    this.#clockOf = options.clockOf;
    this.#toEpoch = options.toEpoch;
    this.#timer = setInterval(() => this.flush(), options.batchMs ?? RECORD_BATCH_MS);
  }

  /**
   * One decoded frame of `sourceKey` (planar, `meta.channels` planes of at least `meta.frameSamples`);
   * `codecDelaySamples`: how much later than captured the codec hands the audio back (Opus look-ahead).
   */
  push(sourceKey: string, meta: PacketMeta, planes: readonly Float32Array[], codecDelaySamples = 0): void {
    if (this.#closed) return;
    let source = this.#sources.get(sourceKey);
    if (!source) {
      source = { scratch: new Float32Array(CHUNK_FRAMES * 2), pending: null };
      this.#sources.set(sourceKey, source);
    }
    const n = meta.frameSamples;
    const channels: 1 | 2 = meta.channels === 2 ? 2 : 1;
    const concealed = (meta.flags & PacketFlag.Concealed) !== 0;
    let pending = source.pending;
    if (
      pending &&
      (pending.channels !== channels ||
        pending.concealed !== concealed ||
        pending.next !== meta.senderTime ||
        pending.frames + n > CHUNK_FRAMES)
    ) {
      this.#finish(sourceKey, source);
      pending = null;
    }
    if (!pending) {
      const arrivalEpochMs = this.#toEpoch(meta.arrivalTime);
      const clock = this.#clockOf(sourceKey);
      pending = source.pending = {
        captureEpochMs: clock
          ? clock.anchor.epochMs +
            ((meta.senderTime - clock.anchor.senderTime) | 0) / SENDER_RATE_PER_MS -
            codecDelaySamples / SENDER_RATE_PER_MS -
            clock.offsetMs
          : null,
        arrivalEpochMs,
        uncertaintyMs: clock ? clock.uncertaintyMs : null,
        channels,
        concealed,
        frames: 0,
        start: meta.senderTime,
        next: meta.senderTime,
      };
    }
    const out = source.scratch;
    const base = pending.frames * channels;
    for (let c = 0; c < channels; c++) {
      const plane = planes[c]!;
      for (let i = 0; i < n; i++) out[base + i * channels + c] = plane[i]!;
    }
    pending.frames += n;
    pending.next = (meta.senderTime + n) >>> 0;
  }

  /** Sends everything pending (nothing when there is nothing). */
  flush(): void {
    if (this.#closed) return;
    for (const [sourceKey, source] of this.#sources) this.#finish(sourceKey, source);
    const chunks = this.#chunks;
    if (chunks.length === 0) return;
    this.#chunks = [];
    try {
      this.#port.postMessage(
        { type: 'source-pcm', chunks },
        chunks.map((c) => c.samples.buffer as ArrayBuffer),
      );
    } catch (error) {
      console.warn('record port', error);
    }
  }

  /** Flushes, stops, and closes the port (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    clearInterval(this.#timer);
    this.#sources.clear();
    this.#port.close();
  }

  #finish(sourceKey: string, source: SourceBuffer): void {
    const p = source.pending;
    if (!p) return;
    source.pending = null;
    if (p.frames === 0) return;
    this.#chunks.push({
      sourceKey,
      captureEpochMs: p.captureEpochMs,
      arrivalEpochMs: p.arrivalEpochMs,
      uncertaintyMs: p.uncertaintyMs,
      senderTime: p.start,
      frames: p.frames,
      channels: p.channels,
      samples: source.scratch.slice(0, p.frames * p.channels),
      concealed: p.concealed,
    });
  }
}
