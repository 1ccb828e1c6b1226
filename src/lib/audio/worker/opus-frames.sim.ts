/**
 * Test support: real Opus wire frames of a 440 Hz sine, encoded by the Worker's own FrameEncoder with
 * the real libopus, for the tests that feed sources and transports.
 */
import type { SendSettings } from '../../protocol/audio-worker';
import { FrameEncoder } from './frame-encoder';
import { createOpusEncoder } from './opus-codec';

/** `count` mono frames of `frameSamples`; `start` is the first frame's sender time (capture sample index). */
export async function encodeSineFrames(options: {
  count: number;
  frameSamples: number;
  fec: boolean;
  start?: number;
}): Promise<Uint8Array[]> {
  const { count, frameSamples: n, fec, start = 0 } = options;
  const settings: SendSettings = { codec: 'opus', frameSamples: n, channels: 1, bitrate: 96_000, fec };
  const frames: Uint8Array[] = [];
  const encoder = new FrameEncoder({
    settings,
    opus: await createOpusEncoder(settings),
    onFrame: (bytes) => frames.push(bytes.slice()),
    onError: (message) => {
      throw new Error(message);
    },
  });
  const plane = new Float32Array(n);
  for (let f = 0; f < count; f++) {
    for (let i = 0; i < n; i++) plane[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (f * n + i)) / 48_000);
    encoder.encode([plane], start + f * n);
  }
  encoder.dispose();
  return frames;
}
