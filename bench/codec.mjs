/**
 * `npm run bench:codec`: what one frame costs in the audio Worker's Opus codec (libopus in WebAssembly,
 * the settings of `src/lib/audio/worker/opus-codec.ts`), in Node on this machine: median µs per encode
 * and per decode of a mono 440 Hz tone, for 2.5, 5 and 10 ms frames, and the packet size at 96 kbit/s.
 */
import { Application, createDecoder, createEncoder } from 'libopus-wasm';

const FRAMES = 4000;
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

console.log('| frame ms | encode µs (median) | decode µs (median) | bytes per packet |');
console.log('|---|---|---|---|');
for (const frameSamples of [120, 240, 480]) {
  const encoder = await createEncoder({
    sampleRate: 48_000,
    channels: 1,
    application: Application.RestrictedLowDelay,
    frameSize: frameSamples,
    bitrate: 96_000,
    complexity: 5,
    vbr: true,
  });
  const decoder = await createDecoder({ sampleRate: 48_000, channels: 1, maxFrameSize: 480 });
  const pcm = new Float32Array(frameSamples);
  const enc = [];
  const dec = [];
  let bytes = 0;
  for (let f = 0; f < FRAMES; f++) {
    for (let i = 0; i < frameSamples; i++)
      pcm[i] = 0.3 * Math.sin((2 * Math.PI * 440 * (f * frameSamples + i)) / 48_000);
    const t0 = performance.now();
    const packet = encoder.encodeFloat(pcm);
    const t1 = performance.now();
    decoder.decodeFloat(packet);
    const t2 = performance.now();
    enc.push((t1 - t0) * 1000);
    dec.push((t2 - t1) * 1000);
    bytes += packet.length;
  }
  encoder.free();
  decoder.free();
  const ms = frameSamples / 48;
  console.log(
    `| ${ms} | ${median(enc).toFixed(1)} | ${median(dec).toFixed(1)} | ${Math.round(bytes / FRAMES)} |`,
  );
}
