/**
 * Ogg Opus (RFC 7845 over RFC 3533): the muxer for exported Opus files. Pages carry whole packets
 * (a packet never spans pages; at most 255 lacing values, ~1 s of 20 ms packets per page), with the
 * Ogg CRC, OpusHead (pre-skip = the encoder's look-ahead) and OpusTags on pages of their own.
 *
 * Granule positions count 48 kHz samples including the pre-skip; the last page's granule is
 * `preSkip + samples`, so a decoder that trims the end gives back exactly the source's length
 * (the encoder pads its input with zeros to whole frames and past the look-ahead, see OggOpusWriter).
 */

const OGG_CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial 0, no final xor. */
export function oggCrc32(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = (crc << 8) ^ OGG_CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!;
  return crc >>> 0;
}

export const HEADER_BOS = 0x02;
export const HEADER_EOS = 0x04;

/** One Ogg page holding whole `packets`; `granule` −1 means no packet ends on it (not used here). */
export function oggPage(
  packets: readonly Uint8Array[],
  page: { serial: number; sequence: number; granule: number; headerType: number },
): Uint8Array {
  const lacing: number[] = [];
  let body = 0;
  for (const packet of packets) {
    for (let left = packet.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
    body += packet.length;
  }
  if (lacing.length > 255) throw new RangeError('ogg: too many segments for one page');
  const out = new Uint8Array(27 + lacing.length + body);
  const v = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  out[4] = 0; // version
  out[5] = page.headerType;
  v.setUint32(6, (page.granule % 0x1_0000_0000) >>> 0, true);
  v.setUint32(10, Math.floor(page.granule / 0x1_0000_0000) >>> 0, true);
  v.setUint32(14, page.serial >>> 0, true);
  v.setUint32(18, page.sequence >>> 0, true);
  // bytes 22–25: CRC, computed over the page with this field zero
  out[26] = lacing.length;
  out.set(lacing, 27);
  let at = 27 + lacing.length;
  for (const packet of packets) {
    out.set(packet, at);
    at += packet.length;
  }
  v.setUint32(22, oggCrc32(out), true);
  return out;
}

/** Lacing values a packet takes. */
function segmentsOf(packet: Uint8Array): number {
  return Math.floor(packet.length / 255) + 1;
}

export function opusHead(channels: 1 | 2, preSkip: number, inputSampleRate = 48_000): Uint8Array {
  const out = new Uint8Array(19);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode('OpusHead'), 0);
  out[8] = 1; // version
  out[9] = channels;
  v.setUint16(10, preSkip, true);
  v.setUint32(12, inputSampleRate, true);
  v.setInt16(16, 0, true); // output gain
  out[18] = 0; // channel mapping family 0: mono or stereo
  return out;
}

/** OpusTags: vendor string and `KEY=value` comments (UTF-8). */
export function opusTags(vendor: string, comments: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  const vendorBytes = encoder.encode(vendor);
  const commentBytes = comments.map((c) => encoder.encode(c));
  const size = 8 + 4 + vendorBytes.length + 4 + commentBytes.reduce((n, c) => n + 4 + c.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set(encoder.encode('OpusTags'), 0);
  v.setUint32(8, vendorBytes.length, true);
  out.set(vendorBytes, 12);
  let at = 12 + vendorBytes.length;
  v.setUint32(at, commentBytes.length, true);
  at += 4;
  for (const c of commentBytes) {
    v.setUint32(at, c.length, true);
    out.set(c, at + 4);
    at += 4 + c.length;
  }
  return out;
}

export interface OggOpusStreamOptions {
  channels: 1 | 2;
  preSkip: number;
  serial: number;
  vendor: string;
  comments: readonly string[];
  /** Audio pages are closed once they hold this many packets (50 × 20 ms = 1 s). */
  packetsPerPage?: number;
}

/**
 * Turns Opus packets into Ogg pages: `headers()` first, then `packet()` per encoded packet, `end()` last.
 * Each returns the pages completed by the call (possibly none).
 */
export class OggOpusMuxer {
  readonly #serial: number;
  readonly #options: OggOpusStreamOptions;
  readonly #perPage: number;
  #sequence = 0;
  #granule = 0;
  #pending: Uint8Array[] = [];
  #pendingSegments = 0;
  #pendingSamples = 0;
  #audioPages = 0;
  #ended = false;

  constructor(options: OggOpusStreamOptions) {
    if (!Number.isInteger(options.preSkip) || options.preSkip < 0 || options.preSkip > 0xffff)
      throw new RangeError(`ogg: bad pre-skip ${options.preSkip}`);
    this.#options = options;
    this.#serial = options.serial >>> 0;
    this.#perPage = options.packetsPerPage ?? 50;
  }

  /** The OpusHead page (beginning of stream) and the OpusTags page. */
  headers(): Uint8Array[] {
    const { channels, preSkip, vendor, comments } = this.#options;
    return [
      this.#page([opusHead(channels, preSkip)], 0, HEADER_BOS),
      this.#page([opusTags(vendor, comments)], 0, 0),
    ];
  }

  /** Adds a packet decoding to `samples` samples (per channel, 48 kHz). */
  packet(packet: Uint8Array, samples: number): Uint8Array[] {
    if (this.#ended) throw new Error('ogg: stream ended');
    // A full page goes out only when the next packet arrives, so the last packet is always left for
    // the end-of-stream page (whose granule trims the padding).
    const pages: Uint8Array[] = [];
    if (
      this.#pending.length >= this.#perPage ||
      (this.#pending.length > 0 && this.#pendingSegments + segmentsOf(packet) > 255)
    )
      pages.push(this.#flush(0));
    this.#pending.push(packet);
    this.#pendingSegments += segmentsOf(packet);
    this.#pendingSamples = samples;
    this.#granule += samples;
    return pages;
  }

  /**
   * Ends the stream: the last page (end of stream) holds at least the last packet and the granule
   * `preSkip + sourceSamples`, which trims the encoder's padding at the end.
   */
  end(sourceSamples: number): Uint8Array[] {
    if (this.#ended) return [];
    if (this.#pending.length === 0) throw new Error('ogg: the last page needs a packet');
    const final = this.#options.preSkip + sourceSamples;
    if (final > this.#granule || final < this.#granule - 5760)
      throw new RangeError(`ogg: end granule ${final} does not fit the ${this.#granule} samples encoded`);
    const pages: Uint8Array[] = [];
    // Never let the first audio page be the last when there are two packets or more: some decoders
    // (ogg-opus-decoder 1.7) then forget the pre-skip in the end trimming.
    if (this.#audioPages === 0 && this.#pending.length >= 2) {
      const last = this.#pending.pop()!;
      this.#pendingSegments -= segmentsOf(last);
      this.#granule -= this.#pendingSamples;
      pages.push(this.#flush(0));
      this.#pending.push(last);
      this.#pendingSegments = segmentsOf(last);
    }
    this.#granule = final;
    this.#ended = true;
    pages.push(this.#flush(HEADER_EOS));
    return pages;
  }

  #flush(headerType: number): Uint8Array {
    const page = this.#page(this.#pending, this.#granule, headerType);
    this.#audioPages++;
    this.#pending = [];
    this.#pendingSegments = 0;
    return page;
  }

  #page(packets: readonly Uint8Array[], granule: number, headerType: number): Uint8Array {
    return oggPage(packets, { serial: this.#serial, sequence: this.#sequence++, granule, headerType });
  }
}

/** An Opus encoder for files: fixed frame size, look-ahead known (it becomes the pre-skip). */
export interface OpusPacketEncoder {
  readonly channels: 1 | 2;
  readonly frameSamples: number;
  /** Samples of look-ahead the decoder must drop at the start (OpusHead pre-skip). */
  readonly preSkip: number;
  /** Encodes one frame of `frameSamples × channels` interleaved samples. */
  encode(frame: Float32Array): Uint8Array;
  dispose(): void;
}

/**
 * Float PCM in, Ogg Opus bytes out: cuts the input (any length per call) into the encoder's frames,
 * and at the end pads with zeros until the look-ahead has been flushed, so nothing of the source is
 * missing after the pre-skip and the end granule trims the rest.
 */
export class OggOpusWriter {
  readonly #encoder: OpusPacketEncoder;
  readonly #muxer: OggOpusMuxer;
  readonly #emit: (bytes: Uint8Array) => void | Promise<void>;
  readonly #frame: Float32Array;
  #filled = 0;
  #samples = 0;
  #started = false;

  constructor(
    encoder: OpusPacketEncoder,
    options: Omit<OggOpusStreamOptions, 'channels' | 'preSkip'>,
    emit: (bytes: Uint8Array) => void | Promise<void>,
  ) {
    this.#encoder = encoder;
    this.#muxer = new OggOpusMuxer({ ...options, channels: encoder.channels, preSkip: encoder.preSkip });
    this.#emit = emit;
    this.#frame = new Float32Array(encoder.frameSamples * encoder.channels);
  }

  /** Samples per channel written so far (the source's length). */
  get samples(): number {
    return this.#samples;
  }

  async #out(pages: Uint8Array[]): Promise<void> {
    for (const page of pages) await this.#emit(page);
  }

  async #start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#out(this.#muxer.headers());
  }

  /** Interleaved samples (`channels` per frame); the length must be a whole number of frames. */
  async write(interleaved: Float32Array): Promise<void> {
    const channels = this.#encoder.channels;
    if (interleaved.length % channels !== 0) throw new RangeError('ogg opus: partial frame');
    await this.#start();
    const frame = this.#frame;
    let at = 0;
    while (at < interleaved.length) {
      const take = Math.min(frame.length - this.#filled, interleaved.length - at);
      frame.set(interleaved.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === frame.length) await this.#encodeFrame();
    }
    this.#samples += interleaved.length / channels;
  }

  /** Zeros, `frames` of them, without allocating them all. */
  async writeSilence(frames: number): Promise<void> {
    const channels = this.#encoder.channels;
    await this.#start();
    const frame = this.#frame;
    let left = frames * channels;
    while (left > 0) {
      const take = Math.min(frame.length - this.#filled, left);
      frame.fill(0, this.#filled, this.#filled + take);
      this.#filled += take;
      left -= take;
      if (this.#filled === frame.length) await this.#encodeFrame();
    }
    this.#samples += frames;
  }

  async #encodeFrame(): Promise<void> {
    const packet = this.#encoder.encode(this.#frame);
    this.#filled = 0;
    await this.#out(this.#muxer.packet(packet, this.#encoder.frameSamples));
  }

  /** Pads, encodes the rest and writes the end-of-stream page. */
  async end(): Promise<void> {
    await this.#start();
    const { frameSamples, preSkip, channels } = this.#encoder;
    const source = this.#samples;
    // Whole frames covering the source plus the look-ahead (at least one, so the stream has a packet).
    const total = Math.max(1, Math.ceil((source + preSkip) / frameSamples)) * frameSamples;
    let padding = (total - source) * channels;
    const frame = this.#frame;
    while (padding > 0) {
      const take = Math.min(frame.length - this.#filled, padding);
      frame.fill(0, this.#filled, this.#filled + take);
      this.#filled += take;
      padding -= take;
      if (this.#filled === frame.length) await this.#encodeFrame();
    }
    await this.#out(this.#muxer.end(source));
  }
}
