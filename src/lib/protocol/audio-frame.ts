/**
 * The binary audio frame on a peer's lossy data channel (`ordered: false, maxRetransmits: 0`).
 *
 * A 16-byte little-endian header, then the payload:
 *
 * | byte | type | field                                                                     |
 * | ---- | ---- | ------------------------------------------------------------------------- |
 * | 0    | u8   | version (= {@link AUDIO_FRAME_VERSION})                                    |
 * | 1    | u8   | codec ({@link AudioCodec}: 0 = PCM s16le interleaved, 1 = Opus)            |
 * | 2    | u8   | channels (1 or 2)                                                          |
 * | 3    | u8   | flags: bit 0 = first frame after a (re)start of the sender's stream;      |
 * |      |      | bit 1 = the payload ends with a redundant copy of the previous frame        |
 * | 4    | u32  | seq: +1 per frame, wraps at 2^32                                           |
 * | 8    | u32  | senderTime: capture sample index (48 kHz) of the frame's first sample, wraps |
 * | 12   | u16  | frameSamples per channel: 120, 240 or 480 (2.5 / 5 / 10 ms)                |
 * | 14   | u16  | redundant bytes: length of the trailing copy (flag bit 1), else 0          |
 *
 * Redundancy (Opus only, the "FEC" setting): the payload is this frame's Opus packet followed by the
 * previous frame's packet (seq − 1, senderTime − frameSamples), byte for byte. A receiver that lost
 * frame seq − 1, or gets this one first, decodes the copy: isolated losses and adjacent reorders are
 * repaired exactly, at the cost of one more frame's payload (≈ 30–40 bytes at 2.5 ms). Opus's own
 * in-band FEC needs its SILK layer, which the low-delay (CELT-only) mode we use does not have.
 *
 * Parsing never throws: a bad frame comes back as `{ ok: false, reason }` so the receiver counts and
 * drops it. Encoding helpers write into caller-provided buffers so the hot path does not allocate.
 */

export const AUDIO_FRAME_VERSION = 2;
export const AUDIO_FRAME_HEADER_BYTES = 16;
/** Largest whole frame (header + payload) a receiver accepts. */
export const AUDIO_FRAME_MAX_BYTES = 4096;
/** The audio clock every frame is stamped in. */
export const AUDIO_SAMPLE_RATE = 48_000;
/** Frame sizes per channel: 2.5, 5 and 10 ms at 48 kHz. */
export const AUDIO_FRAME_SIZES = [120, 240, 480] as const;
export type AudioFrameSamples = (typeof AUDIO_FRAME_SIZES)[number];
export const AUDIO_MAX_FRAME_SAMPLES = 480;
export const AUDIO_MAX_CHANNELS = 2;

export const AudioCodec = { Pcm16: 0, Opus: 1 } as const;
export type AudioCodec = (typeof AudioCodec)[keyof typeof AudioCodec];

export const AudioFrameFlag = { StreamStart: 1, Redundant: 2 } as const;

export const AudioFrameError = {
  TooShort: 'too-short',
  TooLarge: 'too-large',
  BadVersion: 'bad-version',
  BadCodec: 'bad-codec',
  BadChannels: 'bad-channels',
  BadFrameSamples: 'bad-frame-samples',
  BadPayloadLength: 'bad-payload-length',
} as const;
export type AudioFrameError = (typeof AudioFrameError)[keyof typeof AudioFrameError];

export interface AudioFrameHeader {
  codec: AudioCodec;
  channels: 1 | 2;
  flags: number;
  /** u32 */
  seq: number;
  /** u32 */
  senderTime: number;
  frameSamples: AudioFrameSamples;
  /** Bytes of the trailing redundant copy of the previous frame (with flag Redundant), else 0. */
  redundantBytes?: number;
}

export type ReadAudioFrameResult =
  | {
      ok: true;
      header: AudioFrameHeader;
      /** This frame's payload (a view, no copy). */
      payload: Uint8Array;
      /** The previous frame's payload carried again (flag Redundant), else null. */
      redundant: Uint8Array | null;
    }
  | { ok: false; reason: AudioFrameError };

export function isFrameSamples(n: number): n is AudioFrameSamples {
  return n === 120 || n === 240 || n === 480;
}

/** Bytes of a PCM payload for the given shape. */
export function pcm16PayloadBytes(channels: number, frameSamples: number): number {
  return channels * frameSamples * 2;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Writes the 16-byte header at `offset` of `out` (which must have room). */
export function writeAudioFrameHeader(out: Uint8Array, header: AudioFrameHeader, offset = 0): void {
  out[offset] = AUDIO_FRAME_VERSION;
  out[offset + 1] = header.codec;
  out[offset + 2] = header.channels;
  out[offset + 3] = header.flags & 0xff;
  writeU32(out, offset + 4, header.seq >>> 0);
  writeU32(out, offset + 8, header.senderTime >>> 0);
  out[offset + 12] = header.frameSamples & 0xff;
  out[offset + 13] = (header.frameSamples >>> 8) & 0xff;
  const redundant = header.flags & AudioFrameFlag.Redundant ? (header.redundantBytes ?? 0) : 0;
  out[offset + 14] = redundant & 0xff;
  out[offset + 15] = (redundant >>> 8) & 0xff;
}

/** Parses and validates a frame. Never throws; `payload` is a view into `bytes` (no copy). */
export function readAudioFrame(bytes: Uint8Array): ReadAudioFrameResult {
  if (!(bytes instanceof Uint8Array) || bytes.length < AUDIO_FRAME_HEADER_BYTES) {
    return { ok: false, reason: AudioFrameError.TooShort };
  }
  if (bytes.length > AUDIO_FRAME_MAX_BYTES) return { ok: false, reason: AudioFrameError.TooLarge };
  if (bytes[0] !== AUDIO_FRAME_VERSION) return { ok: false, reason: AudioFrameError.BadVersion };
  const codec = bytes[1]!;
  if (codec !== AudioCodec.Pcm16 && codec !== AudioCodec.Opus) {
    return { ok: false, reason: AudioFrameError.BadCodec };
  }
  const channels = bytes[2]!;
  if (channels !== 1 && channels !== 2) return { ok: false, reason: AudioFrameError.BadChannels };
  const frameSamples = bytes[12]! | (bytes[13]! << 8);
  if (!isFrameSamples(frameSamples)) return { ok: false, reason: AudioFrameError.BadFrameSamples };
  const flags = bytes[3]!;
  const redundantBytes = flags & AudioFrameFlag.Redundant ? bytes[14]! | (bytes[15]! << 8) : 0;
  const payloadBytes = bytes.length - AUDIO_FRAME_HEADER_BYTES - redundantBytes;
  if (
    codec === AudioCodec.Pcm16
      ? redundantBytes !== 0 || payloadBytes !== pcm16PayloadBytes(channels, frameSamples)
      : payloadBytes < 1 || (flags & AudioFrameFlag.Redundant && redundantBytes < 1)
  ) {
    return { ok: false, reason: AudioFrameError.BadPayloadLength };
  }
  const end = AUDIO_FRAME_HEADER_BYTES + payloadBytes;
  return {
    ok: true,
    header: {
      codec,
      channels,
      flags,
      seq: readU32(bytes, 4),
      senderTime: readU32(bytes, 8),
      frameSamples,
      redundantBytes,
    },
    payload: bytes.subarray(AUDIO_FRAME_HEADER_BYTES, end),
    redundant: redundantBytes > 0 ? bytes.subarray(end) : null,
  };
}

/**
 * Encodes `frameSamples` samples per channel as s16le interleaved into `out` at `offset`, clipping to
 * [-1, 1]. `src` is planar (one array per channel) or one interleaved array. Returns bytes written.
 */
export function encodePcm16(
  src: readonly Float32Array[] | Float32Array,
  channels: number,
  frameSamples: number,
  out: Uint8Array,
  offset = 0,
): number {
  let o = offset;
  const interleaved = src instanceof Float32Array;
  for (let i = 0; i < frameSamples; i++) {
    for (let c = 0; c < channels; c++) {
      const x = interleaved ? src[i * channels + c]! : (src as readonly Float32Array[])[c]![i]!;
      const clipped = x > 1 ? 1 : x < -1 ? -1 : x === x ? x : 0;
      const v = Math.round(clipped * 32767);
      out[o] = v & 0xff;
      out[o + 1] = (v >> 8) & 0xff;
      o += 2;
    }
  }
  return o - offset;
}

/** Decodes an s16le interleaved payload into planar `out` (one array per channel, ≥ frameSamples). */
export function decodePcm16(payload: Uint8Array, channels: number, out: readonly Float32Array[]): number {
  const frameSamples = Math.floor(payload.length / (2 * channels));
  let o = 0;
  for (let i = 0; i < frameSamples; i++) {
    for (let c = 0; c < channels; c++) {
      const v = ((payload[o]! | (payload[o + 1]! << 8)) << 16) >> 16;
      out[c]![i] = v / 32767;
      o += 2;
    }
  }
  return frameSamples;
}

/** Signed distance a − b of two u32 sequence numbers (or sender times), in (−2^31, 2^31]. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** True when u32 `a` comes after `b` under wraparound. */
export function seqAfter(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}
