import { describe, expect, it } from 'vitest';
import {
  AUDIO_FRAME_HEADER_BYTES,
  AudioCodec,
  encodePcm16,
  writeAudioFrameHeader,
} from '../../protocol/audio-frame';
import type { PacketMeta } from '../../protocol/audio-layout';
import { SourceStream } from './source-stream';

function pcmFrame(seq: number, value: number, frameSamples: 120 | 240 | 480 = 120): Uint8Array {
  const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + frameSamples * 2);
  writeAudioFrameHeader(bytes, {
    codec: AudioCodec.Pcm16,
    channels: 1,
    flags: 0,
    seq,
    senderTime: (seq * frameSamples) >>> 0,
    frameSamples,
  });
  encodePcm16([new Float32Array(frameSamples).fill(value)], 1, frameSamples, bytes, AUDIO_FRAME_HEADER_BYTES);
  return bytes;
}

function source() {
  let now = 1000;
  const delivered: Array<{ meta: PacketMeta; first: number }> = [];
  const stream = new SourceStream({
    sourceKey: 's',
    now: () => now,
    sink: (meta, planes) => delivered.push({ meta: { ...meta }, first: planes[0]![0]! }),
  });
  return { stream, delivered, tick: (ms: number) => (now += ms) };
}

describe('SourceStream', () => {
  it('decodes PCM frames into the sink with their sequence, sender time and arrival time', () => {
    const { stream, delivered } = source();
    stream.receive(pcmFrame(7, 0.5));
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.meta).toMatchObject({
      seq: 7,
      senderTime: 840,
      frameSamples: 120,
      channels: 1,
      arrivalTime: 1000,
    });
    expect(delivered[0]!.first).toBeCloseTo(0.5, 3);
    expect(stream.stats()).toMatchObject({ framesReceived: 1, badFrames: 0, codec: 'pcm' });
  });

  it('counts and drops malformed frames without throwing', () => {
    const { stream, delivered } = source();
    stream.receive(new Uint8Array([1, 2, 3]));
    stream.receive(new Uint8Array(40).fill(9));
    stream.receive(new Uint8Array(0));
    expect(delivered).toHaveLength(0);
    expect(stream.stats().badFrames).toBe(3);
  });

  it('decodes a frame that arrives twice (two transports) once, across the seq wrap', () => {
    const { stream, delivered } = source();
    const seqs = [0xffff_fffe, 0xffff_ffff, 0, 1];
    for (const seq of seqs) stream.receive(pcmFrame(seq, 0.25));
    for (const seq of [0, 0xffff_fffe, 1, 0xffff_ffff]) stream.receive(pcmFrame(seq, 0.25));
    expect(delivered.map((d) => d.meta.seq)).toEqual(seqs);
    expect(stream.stats()).toMatchObject({ framesReceived: 8, duplicateFrames: 4 });
  });

  it('reports the remote’s frame size and how long ago its last frame came', () => {
    const { stream, tick } = source();
    expect(stream.stats()).toMatchObject({ frameSamples: null, lastFrameAgeMs: null });
    stream.receive(pcmFrame(1, 0, 480));
    tick(1200);
    expect(stream.stats()).toMatchObject({ frameSamples: 480, lastFrameAgeMs: 1200 });
  });
});
