/**
 * WAV (RIFF WAVE) 24-bit PCM little-endian, the format of exported stems and mixes (ADR 0011).
 *
 * The header is written first with the final sizes, which the export knows from the take's files before
 * it starts, so the writer never seeks back. RIFF sizes are 32-bit: a file is limited to 4 GiB (about
 * 6 h of 24-bit stereo at 48 kHz); `wavHeader` refuses more with a clear error (Opus has no such limit).
 *
 * Samples are rounded to the nearest 24-bit step and clipped symmetrically to ±(2²³ − 1), so a stem
 * whose polarity a DAW flips cannot overflow (and readers that mis-sign the code −2²³ stay right). TPDF dither (±1 LSB,
 * triangular) is available but off in the export: the recorder's float32 carries 24 bits of mantissa,
 * the rounding error of −144 dBFS is below any converter's noise, and without dither silence stays
 * digital zero (and the tests can compare exactly).
 */

export const WAV_HEADER_BYTES = 44;
export const PCM24_BYTES = 3;
const MAX_RIFF_BYTES = 0xffffffff;

export interface WavFormat {
  channels: number;
  sampleRate: number;
  /** Frames (samples per channel) the data chunk will hold. */
  frames: number;
}

/** Bytes of the whole file (header + 24-bit data). */
export function wavFileBytes(format: WavFormat): number {
  return WAV_HEADER_BYTES + format.frames * format.channels * PCM24_BYTES;
}

/** The 44-byte header of a 24-bit PCM WAV holding `frames` frames. */
export function wavHeader(format: WavFormat): Uint8Array {
  const { channels, sampleRate, frames } = format;
  if (!Number.isInteger(channels) || channels < 1 || channels > 8)
    throw new RangeError(`WAV: bad channel count ${channels}`);
  if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`WAV: bad frame count ${frames}`);
  const dataBytes = frames * channels * PCM24_BYTES;
  if (dataBytes + WAV_HEADER_BYTES - 8 > MAX_RIFF_BYTES)
    throw new RangeError(
      `This track is too long for a WAV file (over 4 GiB, ${(frames / sampleRate / 3600).toFixed(1)} h): export it as Opus.`,
    );
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) header[at + i] = text.charCodeAt(i);
  };
  const blockAlign = channels * PCM24_BYTES;
  ascii(0, 'RIFF');
  view.setUint32(4, dataBytes + WAV_HEADER_BYTES - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // WAVE_FORMAT_PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true); // byte rate
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 24, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  return header;
}

const FULL_SCALE = 8_388_608; // 2^23
const MAX_CODE = FULL_SCALE - 1;

/** Float → 24-bit PCM bytes, with optional TPDF dither (one xorshift generator per encoder). */
export class Pcm24Encoder {
  readonly #dither: boolean;
  #seed: number;
  #out = new Uint8Array(0);

  constructor(options: { dither?: boolean; seed?: number } = {}) {
    this.#dither = options.dither ?? false;
    this.#seed = (options.seed ?? 0x9e3779b9) | 0 || 1;
  }

  /**
   * Encodes interleaved samples; the returned view is reused by the next call (write it out first).
   * NaN becomes 0; values beyond full scale (and ±Infinity) clip.
   */
  encode(samples: Float32Array): Uint8Array {
    const bytes = samples.length * PCM24_BYTES;
    if (this.#out.length < bytes) this.#out = new Uint8Array(bytes);
    const out = this.#out;
    const dither = this.#dither;
    let seed = this.#seed;
    for (let i = 0, o = 0; i < samples.length; i++, o += 3) {
      let x = samples[i]! * FULL_SCALE;
      if (dither) {
        // Two uniform values in [-0.5, 0.5): their sum is triangular over ±1 LSB.
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        const a = (seed >>> 0) / 4294967296;
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        x += a + (seed >>> 0) / 4294967296 - 1;
      }
      let v = Math.round(x);
      if (!(v >= -MAX_CODE))
        v = v < 0 ? -MAX_CODE : 0; // NaN → 0
      else if (v > MAX_CODE) v = MAX_CODE;
      out[o] = v & 0xff;
      out[o + 1] = (v >> 8) & 0xff;
      out[o + 2] = (v >> 16) & 0xff;
    }
    this.#seed = seed;
    return out.subarray(0, bytes);
  }
}
