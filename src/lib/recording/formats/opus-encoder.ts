/**
 * The Opus encoder of exported files: libopus 1.6 in WebAssembly (`libopus-wasm`, as the audio Worker
 * uses, ADR 0007), here with file settings: OPUS_APPLICATION_AUDIO, 20 ms frames, VBR, 128 kb/s for
 * stereo and 96 kb/s for mono (ADR 0011). It runs in the export Worker only, never on an audio thread.
 * The audio Worker's low-delay settings live in audio/worker/opus-codec.ts; this is the other importer.
 */
import { Application, Signal, createEncoder } from 'libopus-wasm';
import type { OpusPacketEncoder } from './ogg-opus';

export const OPUS_FILE_FRAME_SAMPLES = 960; // 20 ms at 48 kHz
export const OPUS_FILE_BITRATE = { 1: 96_000, 2: 128_000 } as const;
/**
 * 0–10. On this machine's cores (Node, libopus-wasm 0.4) stereo encodes ~20× real time at 5 against
 * ~9× at 10 (ADR 0011): an hour's mix takes 3 min instead of 7, and at 128 kb/s the difference in
 * quality is slight (complexity mostly buys CELT's pre-filter and analysis, which matter at low rates).
 */
export const OPUS_FILE_COMPLEXITY = 5;

export async function createOpusFileEncoder(channels: 1 | 2): Promise<OpusPacketEncoder> {
  const encoder = await createEncoder({
    sampleRate: 48_000,
    channels,
    application: Application.Audio,
    frameSize: OPUS_FILE_FRAME_SAMPLES,
    bitrate: OPUS_FILE_BITRATE[channels],
    complexity: OPUS_FILE_COMPLEXITY,
    signal: Signal.Music,
    vbr: true,
  });
  return {
    channels,
    frameSamples: OPUS_FILE_FRAME_SAMPLES,
    preSkip: encoder.getLookahead(),
    encode: (frame) => encoder.encodeFloat(frame),
    dispose: () => encoder.free(), // libopus-wasm's free() ignores a second call
  };
}
