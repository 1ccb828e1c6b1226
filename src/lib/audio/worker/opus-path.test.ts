/**
 * The Opus data path end to end in the Worker's classes, with the real libopus (WebAssembly):
 * FrameEncoder → wire frames → SourceStream → decoded frames, with loss, redundancy and reordering.
 */
import { describe, expect, it } from 'vitest';
import { AudioFrameFlag, readAudioFrame } from '../../protocol/audio-frame';
import { PacketFlag, type PacketMeta } from '../../protocol/audio-layout';
import { createOpusDecoder, createOpusEncoder } from './opus-codec';
import { encodeSineFrames } from './opus-frames.sim';
import { SourceStream } from './source-stream';

const N = 120;

const encodeFrames = (count: number, fec: boolean, start = 0) =>
  encodeSineFrames({ count, frameSamples: N, fec, start });

/** A receiving stream whose decoder is loaded, and what it delivered (meta and a copy of the audio). */
async function receiver() {
  const out: Array<{ meta: PacketMeta; pcm: Float32Array }> = [];
  const stream = new SourceStream({
    sourceKey: 'p',
    now: () => 0,
    opus: createOpusDecoder,
    sink: (meta, planes) => out.push({ meta: { ...meta }, pcm: planes[0]!.slice(0, meta.frameSamples) }),
  });
  // The first frame starts the (asynchronous) decoder creation and is skipped. Another stream (its
  // own sender time), so the frames of the test are not taken for duplicates of it.
  const warm = (await encodeFrames(1, false, 1_000_000))[0]!;
  stream.receive(warm);
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(stream.skippedFrames).toBe(1);
  return { stream, out };
}

describe('Opus over the data path (libopus in WebAssembly)', () => {
  it('encodes each 2.5 ms frame once, and the receiver decodes the sine back', async () => {
    const frames = await encodeFrames(40, false);
    expect(frames).toHaveLength(40);
    const first = readAudioFrame(frames[0]!);
    if (!first.ok) throw new Error(first.reason);
    expect(first.header.flags & AudioFrameFlag.StreamStart).toBeTruthy();
    const { stream, out } = await receiver();
    for (const f of frames) stream.receive(f);
    expect(out.map((o) => o.meta.seq)).toEqual([...Array(40).keys()]);
    expect(stream.stats()).toMatchObject({ framesDecoded: 40, codec: 'opus', badFrames: 0 });
    // After the codec's 2.5 ms look-ahead the decoded signal is the sine, delayed by 120 samples.
    const decoded = Float32Array.from(out.flatMap((o) => [...o.pcm]));
    let err = 0;
    let energy = 0;
    for (let i = 20 * N; i < 40 * N; i++) {
      const ref = 0.5 * Math.sin((2 * Math.PI * 440 * (i - 120)) / 48_000);
      err += (decoded[i]! - ref) ** 2;
      energy += ref * ref;
    }
    expect(err / energy).toBeLessThan(0.05);
  });

  it('conceals a lost frame with Opus PLC before decoding the next one', async () => {
    const frames = await encodeFrames(12, false);
    const { stream, out } = await receiver();
    frames.forEach((f, i) => i !== 6 && stream.receive(f));
    expect(out.map((o) => o.meta.seq)).toEqual([...Array(12).keys()]);
    const lost = out[6]!;
    expect(lost.meta.flags & PacketFlag.Concealed).toBeTruthy();
    expect(lost.meta.senderTime).toBe(6 * N);
    expect(Math.max(...lost.pcm.map(Math.abs))).toBeGreaterThan(0.05); // not silence
    expect(stream.stats()).toMatchObject({ concealedFrames: 1, recoveredFrames: 0, framesDecoded: 11 });
  });

  it('restores a lost frame exactly from the next frame’s redundant copy', async () => {
    const frames = await encodeFrames(12, true);
    const whole = await receiver();
    for (const f of frames) whole.stream.receive(f);
    const lossy = await receiver();
    frames.forEach((f, i) => i !== 6 && lossy.stream.receive(f));
    expect(lossy.out.map((o) => o.meta.seq)).toEqual([...Array(12).keys()]);
    expect(lossy.out[6]!.meta.flags & PacketFlag.Concealed).toBe(0);
    expect(lossy.out[6]!.meta.flags & PacketFlag.Recovered).toBeTruthy();
    expect(lossy.stream.stats()).toMatchObject({ recoveredFrames: 1, concealedFrames: 0 });
    for (let f = 0; f < 12; f++) expect(lossy.out[f]!.pcm).toEqual(whole.out[f]!.pcm);
  });

  it('plays a reordered pair in order from the copy and drops the late original', async () => {
    const frames = await encodeFrames(10, true);
    const { stream, out } = await receiver();
    const order = [0, 1, 2, 4, 3, 5, 6, 7, 8, 9];
    for (const i of order) stream.receive(frames[i]!);
    expect(out.map((o) => o.meta.seq)).toEqual([...Array(10).keys()]);
    expect(stream.stats()).toMatchObject({ recoveredFrames: 1, lateFrames: 1, skippedFrames: 1 });
  });

  it('leaves a gap longer than 20 ms to the jitter buffer', async () => {
    const frames = await encodeFrames(30, false);
    const { stream, out } = await receiver();
    frames.forEach((f, i) => (i < 5 || i >= 25) && stream.receive(f));
    expect(out.map((o) => o.meta.seq)).toEqual([
      0,
      1,
      2,
      3,
      4,
      ...Array.from({ length: 5 }, (_, i) => 25 + i),
    ]);
    expect(stream.stats().concealedFrames).toBe(0);
  });

  it('counts a corrupt Opus packet and keeps decoding the stream', async () => {
    const frames = await encodeFrames(6, false);
    const { stream, out } = await receiver();
    // TOC code 3 ("M frames follow") with M = 0: libopus rejects it as an invalid packet.
    const bad = new Uint8Array(18);
    bad.set(frames[3]!.subarray(0, 16));
    bad.set([0x03, 0x00], 16);
    expect(readAudioFrame(bad).ok).toBe(true);
    for (const f of [frames[0]!, frames[1]!, frames[2]!, bad, frames[4]!, frames[5]!]) stream.receive(f);
    expect(stream.stats().badFrames).toBe(1);
    expect(out.map((o) => o.meta.seq)).toEqual([0, 1, 2, 4, 5]);
  });

  it('disposes codecs idempotently (opus-codec relies on libopus-wasm for this)', async () => {
    const encoder = await createOpusEncoder({ channels: 1, frameSamples: N, bitrate: 96_000 });
    const decoder = await createOpusDecoder(1);
    encoder.dispose();
    decoder.dispose();
    expect(() => encoder.dispose()).not.toThrow();
    expect(() => decoder.dispose()).not.toThrow();
    expect(() => encoder.encode(new Float32Array(N))).toThrow();
  });
});
