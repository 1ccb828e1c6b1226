/**
 * A streaming WAV reader for the recording tests and benchmark: bytes go in as they arrive (a zip
 * entry's stream, a file read in chunks), interleaved float32 frames come out, so an hour-long stem
 * never sits whole in memory. Reads RIFF/WAVE with PCM 16/24/32-bit integers or 32-bit float
 * (WAVE_FORMAT_EXTENSIBLE too); other chunks are skipped. Checked against node-wav (recording-wav.test.ts).
 */

/**
 * @typedef {object} WavFormat
 * @property {number} channels
 * @property {number} sampleRate
 * @property {number} bitsPerSample
 * @property {boolean} float
 * @property {number | null} dataBytes the data chunk's declared size (null: unknown, 0 or 0xffffffff)
 */

export class WavStreamReader {
  /** @type {WavFormat | null} */
  format = null;
  /** Bytes before the data chunk, and its partial leftovers between pushes. */
  /** @type {Buffer} */
  #pending = Buffer.alloc(0);
  #inData = false;
  #dataLeft = Infinity;
  /** @type {WavFormat | null} */
  #fmt = null;
  #framesOut = 0;

  /** Frames decoded so far. */
  get frames() {
    return this.#framesOut;
  }

  /**
   * @param {Uint8Array} chunk
   * @returns {Float32Array} the whole frames this chunk completes, interleaved (may be empty)
   */
  push(chunk) {
    this.#pending = this.#pending.length
      ? Buffer.concat([this.#pending, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.#inData) this.#readHeader();
    if (!this.#inData || !this.#fmt) return new Float32Array(0);
    const fmt = this.#fmt;
    const bytesPerFrame = (fmt.bitsPerSample / 8) * fmt.channels;
    const usable = Math.min(this.#pending.length, this.#dataLeft);
    const frames = Math.floor(usable / bytesPerFrame);
    const out = decode(this.#pending.subarray(0, frames * bytesPerFrame), fmt);
    this.#pending = Buffer.from(this.#pending.subarray(frames * bytesPerFrame));
    this.#dataLeft -= frames * bytesPerFrame;
    this.#framesOut += frames;
    return out;
  }

  #readHeader() {
    const b = this.#pending;
    if (b.length < 12) return;
    if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') {
      throw new Error('not a RIFF/WAVE file');
    }
    let at = 12;
    while (at + 8 <= b.length) {
      const id = b.toString('latin1', at, at + 4);
      const size = b.readUInt32LE(at + 4);
      if (id === 'data') {
        if (!this.#fmt) throw new Error('WAV data chunk before its fmt chunk');
        this.#inData = true;
        const known = size !== 0 && size !== 0xffffffff;
        this.#dataLeft = known ? size : Infinity;
        this.#fmt.dataBytes = known ? size : null;
        this.format = this.#fmt;
        this.#pending = Buffer.from(b.subarray(at + 8));
        return;
      }
      // Chunks are padded to even sizes; a chunk other than data is handled once it is all here.
      const next = at + 8 + size + (size & 1);
      if (at + 8 + size > b.length) return;
      if (id === 'fmt ') this.#fmt = parseFmt(b.subarray(at + 8, at + 8 + size));
      at = next;
    }
  }
}

/** @param {Buffer} f */
function parseFmt(f) {
  let tag = f.readUInt16LE(0);
  const channels = f.readUInt16LE(2);
  const sampleRate = f.readUInt32LE(4);
  const bitsPerSample = f.readUInt16LE(14);
  // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
  if (tag === 0xfffe && f.length >= 26) tag = f.readUInt16LE(24);
  const float = tag === 3;
  if (!(tag === 1 || tag === 3)) throw new Error(`WAV format tag ${tag} is not PCM or float`);
  if (float ? bitsPerSample !== 32 : ![16, 24, 32].includes(bitsPerSample)) {
    throw new Error(`WAV with ${bitsPerSample}-bit ${float ? 'float' : 'integer'} samples is not supported`);
  }
  if (channels < 1) throw new Error('WAV without channels');
  return { channels, sampleRate, bitsPerSample, float, dataBytes: null };
}

/**
 * @param {Buffer} bytes whole frames
 * @param {WavFormat} fmt
 */
function decode(bytes, fmt) {
  const width = fmt.bitsPerSample / 8;
  const n = bytes.length / width;
  const out = new Float32Array(n);
  if (fmt.float) {
    for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(i * 4);
  } else if (width === 2) {
    for (let i = 0; i < n; i++) out[i] = bytes.readInt16LE(i * 2) / 32768;
  } else if (width === 3) {
    for (let i = 0; i < n; i++) out[i] = bytes.readIntLE(i * 3, 3) / 8388608;
  } else {
    for (let i = 0; i < n; i++) out[i] = bytes.readInt32LE(i * 4) / 2147483648;
  }
  return out;
}

/**
 * Decodes a whole WAV held in memory (the e2e's short takes).
 * @param {Uint8Array} bytes
 */
export function decodeWav(bytes) {
  const reader = new WavStreamReader();
  const samples = reader.push(bytes);
  if (!reader.format) throw new Error('WAV without a data chunk');
  return { format: reader.format, samples, frames: reader.frames };
}
