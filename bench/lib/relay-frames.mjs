/**
 * The bytes `bench:relay`'s synthetic players send and what they read back, shaped like the real
 * thing (src/lib/protocol/sfu.ts, sealed-frame.ts) so the relay does the same work per frame:
 *
 * - a sealed frame of {@link FRAME_BYTES}: byte 0 = 3 (sealed), the 16-byte audio header (Opus, mono,
 *   120 samples = 2.5 ms, u32 LE seq at byte 4), keyId + counter, {@link PAYLOAD_BYTES} of "payload"
 *   (an Opus packet at 2.5 ms with its redundant copy) and a 16-byte "tag". The relay reads only the
 *   header, so the payload carries the bench's own fields in its first bytes: the send time
 *   (process.hrtime in µs, a float64 — CLOCK_MONOTONIC, the same clock in every process of the
 *   machine) and the sender's bench index (u16);
 * - bundles (relay → player): kind 0x91, count, then per frame u16 source index, u16 length, bytes.
 *
 * The hot paths write into reused buffers and parse without allocating.
 */

export const SEALED_FRAME_VERSION = 3;
export const FRAME_SEQ_OFFSET = 4;
export const AUDIO_HEADER_BYTES = 16;
/** keyId (1) + counter (4) + Poly1305 tag (16): what sealing adds (SEALED_OVERHEAD_BYTES). */
export const SEAL_OVERHEAD_BYTES = 21;
/** ≈ an Opus packet at 2.5 ms and 96 kbit/s (30 B) plus its redundant copy of the previous one. */
export const PAYLOAD_BYTES = 60;
export const FRAME_BYTES = AUDIO_HEADER_BYTES + PAYLOAD_BYTES + SEAL_OVERHEAD_BYTES;
/** Where the "ciphertext" starts (after keyId and counter). */
const CIPHER_OFFSET = AUDIO_HEADER_BYTES + 5;
const STAMP_OFFSET = CIPHER_OFFSET;
const SENDER_OFFSET = CIPHER_OFFSET + 8;

export const BUNDLE_KIND = 0x91;

/** Microseconds on the machine-wide monotonic clock (comparable across processes). */
export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** One sender's frame buffer, rewritten in place for every frame (node-datachannel copies on send). */
export class FrameWriter {
  /** @param {number} senderIndex u16, the bench's id of this sender */
  constructor(senderIndex, frameSamples = 120) {
    this.buffer = Buffer.alloc(FRAME_BYTES);
    this.seq = 0;
    const b = this.buffer;
    // Random "ciphertext" once: the relay never reads it, only its length matters.
    for (let i = CIPHER_OFFSET; i < FRAME_BYTES; i++) b[i] = (Math.random() * 256) | 0;
    b[0] = SEALED_FRAME_VERSION;
    b[1] = 1; // Opus
    b[2] = 1; // mono
    b.writeUInt16LE(frameSamples, 12);
    b.writeUInt16LE(0, 14);
    b[AUDIO_HEADER_BYTES] = 0; // keyId
    b.writeUInt16LE(senderIndex, SENDER_OFFSET);
    this.frameSamples = frameSamples;
  }

  /** Stamps the next frame (seq, counter, send time) and returns the buffer to send now. */
  next(stampUs) {
    const b = this.buffer;
    const seq = this.seq;
    this.seq = (seq + 1) >>> 0;
    b[3] = seq === 0 ? 1 : 0; // StreamStart on the first frame
    b.writeUInt32LE(seq, FRAME_SEQ_OFFSET);
    b.writeUInt32LE((seq * this.frameSamples) >>> 0, 8);
    b.writeUInt32LE(seq, AUDIO_HEADER_BYTES + 1); // the sealer's counter
    b.writeDoubleLE(stampUs, STAMP_OFFSET);
    return b;
  }
}

/**
 * Reads one frame at `at` of `bytes` (a Buffer): `{ sender, seq, stampUs }` into `out`, or false
 * when it is not one of ours.
 */
export function readFrame(bytes, at, length, out) {
  if (length !== FRAME_BYTES || bytes[at] !== SEALED_FRAME_VERSION) return false;
  out.seq = bytes.readUInt32LE(at + FRAME_SEQ_OFFSET);
  out.stampUs = bytes.readDoubleLE(at + STAMP_OFFSET);
  out.sender = bytes.readUInt16LE(at + SENDER_OFFSET);
  return true;
}

/**
 * Calls `onFrame(sourceIndex, at, length)` for each frame of a bundle; returns the frame count, or
 * -1 when the bundle is malformed (then nothing was reported past the bad entry).
 */
export function forEachBundled(bytes, onFrame) {
  if (bytes.length < 2 || bytes[0] !== BUNDLE_KIND) return -1;
  const count = bytes[1];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) return -1;
    const source = bytes[at] | (bytes[at + 1] << 8);
    const length = bytes[at + 2] | (bytes[at + 3] << 8);
    at += 4;
    if (length === 0 || at + length > bytes.length) return -1;
    onFrame(source, at, length);
    at += length;
  }
  return at === bytes.length ? count : -1;
}

/** Latency histogram: 10 µs bins up to 2 s (beyond counts in the last bin); mergeable across processes. */
export class LatencyHistogram {
  static BIN_US = 10;
  static BINS = 200_000;

  constructor() {
    this.bins = new Uint32Array(LatencyHistogram.BINS);
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
    /** Arrivals stamped before they were sent: clocks that disagree (must stay 0). */
    this.negative = 0;
  }

  add(us) {
    if (us < 0) {
      this.negative++;
      return;
    }
    const bin = Math.min(LatencyHistogram.BINS - 1, Math.floor(us / LatencyHistogram.BIN_US));
    this.bins[bin]++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Sparse form for IPC: [bin, count] pairs. */
  toJSON() {
    const pairs = [];
    for (let i = 0; i < this.bins.length; i++) if (this.bins[i] !== 0) pairs.push([i, this.bins[i]]);
    return { pairs, count: this.count, sumUs: this.sumUs, maxUs: this.maxUs, negative: this.negative };
  }

  merge(json) {
    for (const [bin, n] of json.pairs) this.bins[bin] += n;
    this.count += json.count;
    this.sumUs += json.sumUs;
    this.maxUs = Math.max(this.maxUs, json.maxUs);
    this.negative += json.negative;
  }

  /** Nearest-rank percentile in ms (upper edge of its bin), NaN when empty. */
  percentileMs(p) {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i];
      if (seen >= rank) return ((i + 1) * LatencyHistogram.BIN_US) / 1000;
    }
    return (this.bins.length * LatencyHistogram.BIN_US) / 1000;
  }
}

/** Sequence numbers one receiver has seen from one sender: duplicates are counted, not recounted. */
export class SeqSeen {
  // 2^16 frames = 164 s at 2.5 ms: more than one bench row runs (bench/relay.mjs bounds --seconds).
  #bits = new Uint8Array(1 << 13);

  /** True the first time `seq` is seen. */
  mark(seq) {
    const i = seq & 0xffff;
    const byte = i >> 3;
    const bit = 1 << (i & 7);
    if (this.#bits[byte] & bit) return false;
    this.#bits[byte] |= bit;
    return true;
  }
}
