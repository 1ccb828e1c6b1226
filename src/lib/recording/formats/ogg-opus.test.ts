import { describe, expect, it } from 'vitest';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { OggOpusMuxer, OggOpusWriter, oggCrc32 } from './ogg-opus';
import { createOpusFileEncoder } from './opus-encoder';

interface ParsedPage {
  headerType: number;
  granule: number;
  serial: number;
  sequence: number;
  packets: number;
}

/** A small independent Ogg page reader: structure, sequence, granules, CRC (with the check value). */
function parsePages(bytes: Uint8Array): ParsedPage[] {
  const pages: ParsedPage[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    expect(String.fromCharCode(...bytes.subarray(at, at + 4))).toBe('OggS');
    const segments = bytes[at + 26]!;
    const lacing = bytes.subarray(at + 27, at + 27 + segments);
    const body = lacing.reduce((n, l) => n + l, 0);
    const size = 27 + segments + body;
    const copy = bytes.slice(at, at + size);
    copy.fill(0, 22, 26);
    expect(oggCrc32(copy)).toBe(view.getUint32(at + 22, true));
    pages.push({
      headerType: bytes[at + 5]!,
      granule: view.getUint32(at + 6, true) + view.getUint32(at + 10, true) * 2 ** 32,
      serial: view.getUint32(at + 14, true),
      sequence: view.getUint32(at + 18, true),
      packets: Array.from(lacing).filter((l) => l < 255).length,
    });
    at += size;
  }
  return pages;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function snrDb(reference: Float32Array, test: Float32Array, from: number, to: number): number {
  let signal = 0;
  let noise = 0;
  for (let i = from; i < to; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** The lag (−range…range) at which `test` best matches `reference`. */
function bestLag(reference: Float32Array, test: Float32Array, range: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let lag = -range; lag <= range; lag++) {
    let sum = 0;
    for (let i = range; i < reference.length - range; i++) sum += reference[i]! * test[i + lag]!;
    if (sum > bestValue) {
      bestValue = sum;
      best = lag;
    }
  }
  return best;
}

async function encode(channels: 1 | 2, interleaved: Float32Array, chunk: number, silenceFirst = 0) {
  const encoder = await createOpusFileEncoder(channels);
  const out: Uint8Array[] = [];
  const writer = new OggOpusWriter(
    encoder,
    { serial: 0x1234abcd, vendor: 'Bandmesh test', comments: ['TITLE=Täke 1'] },
    (bytes) => {
      out.push(bytes.slice());
    },
  );
  if (silenceFirst > 0) await writer.writeSilence(silenceFirst);
  for (let at = 0; at < interleaved.length; at += chunk * channels)
    await writer.write(interleaved.subarray(at, Math.min(interleaved.length, at + chunk * channels)));
  await writer.end();
  encoder.dispose();
  return { bytes: concat(out), preSkip: encoder.preSkip, samples: writer.samples };
}

async function decodeOgg(bytes: Uint8Array) {
  const decoder = new OggOpusDecoder({ forceStereo: false });
  await decoder.ready;
  try {
    return await decoder.decodeFile(bytes);
  } finally {
    decoder.free();
  }
}

describe('Ogg Opus writer', () => {
  it('computes the Ogg CRC (CRC-32 0x04C11DB7, init 0, no xor): check value of "123456789"', () => {
    expect(oggCrc32(new TextEncoder().encode('123456789'))).toBe(~0x765e7680 >>> 0);
  });

  it('stereo: a reference decoder gives back the source, aligned, exactly as long (after pre-skip)', async () => {
    const frames = 48_000 * 2 + 123; // not a whole number of 20 ms frames
    const source = new Float32Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      const t = i / 48_000;
      const envelope = 0.5 + 0.4 * Math.sin(2 * Math.PI * 1.3 * t);
      source[2 * i] = envelope * 0.5 * Math.sin(2 * Math.PI * 330 * t);
      source[2 * i + 1] = 0.4 * Math.sin(2 * Math.PI * 587 * t) + 0.1 * Math.sin(2 * Math.PI * 2900 * t);
    }
    const { bytes, preSkip, samples } = await encode(2, source, 777);
    expect(samples).toBe(frames);
    expect(preSkip).toBeGreaterThan(0);

    const pages = parsePages(bytes);
    expect(pages[0]!.headerType).toBe(0x02); // beginning of stream: OpusHead alone
    expect(pages[0]!.packets).toBe(1);
    expect(pages[1]!.granule).toBe(0); // OpusTags
    expect(pages.at(-1)!.headerType).toBe(0x04); // end of stream
    expect(pages.at(-1)!.granule).toBe(preSkip + frames);
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    expect(new Set(pages.map((p) => p.serial))).toEqual(new Set([0x1234abcd]));
    for (let i = 3; i < pages.length; i++) expect(pages[i]!.granule).toBeGreaterThan(pages[i - 1]!.granule);
    const head = bytes.subarray(28, 28 + 19);
    expect(new TextDecoder().decode(head.subarray(0, 8))).toBe('OpusHead');
    expect(head[9]).toBe(2);
    expect(head[10]! | (head[11]! << 8)).toBe(preSkip);

    const decoded = await decodeOgg(bytes);
    expect(decoded.errors).toEqual([]);
    expect(decoded.sampleRate).toBe(48_000);
    expect(decoded.samplesDecoded).toBe(frames);
    for (let ch = 0; ch < 2; ch++) {
      const reference = Float32Array.from({ length: frames }, (_, i) => source[2 * i + ch]!);
      const out = decoded.channelData[ch]!;
      expect(out.length).toBe(frames);
      expect(bestLag(reference.subarray(4800, 14_400), out.subarray(4800, 14_400), 40)).toBe(0);
      expect(snrDb(reference, out, 960, frames - 960)).toBeGreaterThan(20);
    }
  });

  it('mono with leading silence: silence decodes near zero and the tone sits where it was put', async () => {
    const silence = 48_000 / 2;
    const tone = Float32Array.from(
      { length: 48_000 },
      (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48_000),
    );
    const { bytes } = await encode(1, tone, 4096, silence);
    const decoded = await decodeOgg(bytes);
    expect(decoded.channelData).toHaveLength(1);
    expect(decoded.samplesDecoded).toBe(silence + tone.length);
    const out = decoded.channelData[0]!;
    let quiet = 0;
    for (let i = 0; i < silence - 960; i++) quiet = Math.max(quiet, Math.abs(out[i]!));
    expect(quiet).toBeLessThan(1e-3);
    const reference = new Float32Array(silence + tone.length);
    reference.set(tone, silence);
    expect(
      bestLag(reference.subarray(silence, silence + 9600), out.subarray(silence, silence + 9600), 40),
    ).toBe(0);
    expect(snrDb(reference, out, silence + 960, reference.length - 960)).toBeGreaterThan(20);
  });

  it('short streams keep their exact length: the first audio page is not the last one', async () => {
    for (const frames of [649, 2000, 5000]) {
      const { bytes, preSkip } = await encode(1, new Float32Array(frames).fill(0.1), 960);
      const pages = parsePages(bytes);
      expect(pages.length).toBeGreaterThanOrEqual(4);
      expect(pages.at(-1)!.granule).toBe(preSkip + frames);
      expect((await decodeOgg(bytes)).samplesDecoded).toBe(frames);
    }
  });

  it('an empty track is still a stream: one packet, end granule = pre-skip', async () => {
    const { bytes, preSkip } = await encode(2, new Float32Array(0), 960);
    const pages = parsePages(bytes);
    expect(pages).toHaveLength(3);
    expect(pages[2]).toMatchObject({ headerType: 0x04, granule: preSkip, packets: 1 });
    // (ogg-opus-decoder 1.7 reads a single-page stream's granule without the pre-skip: not checked.)
  });

  it('keeps a page within 255 segments, and never lets the end trim more than it encoded', () => {
    const muxer = new OggOpusMuxer({
      channels: 1,
      preSkip: 312,
      serial: 1,
      vendor: 'v',
      comments: [],
      packetsPerPage: 1000,
    });
    muxer.headers();
    const big = new Uint8Array(1275); // 6 lacing values each
    let pages = 0;
    for (let i = 0; i < 100; i++) pages += muxer.packet(big, 960).length;
    expect(pages).toBe(2); // 42 packets per page (252 segments)
    expect(() => muxer.end(100 * 960)).toThrow(/does not fit/);
    expect(muxer.end(100 * 960 - 312)).toHaveLength(1);
  });
});
