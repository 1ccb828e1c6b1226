import { writeWav16Mono } from './wav16.mjs';

/**
 * Writes a mono 16-bit 48 kHz WAV that Chromium's fake microphone plays in a loop
 * (`--use-file-for-fake-audio-capture`): a short windowed 2 kHz burst every `periodMs`, silence between.
 * The burst's onset is what the worklets' impulse detectors time-stamp.
 * @param {string} path
 * @param {{ seconds?: number, periodMs?: number }} [options]
 */
export function writeImpulseWav(path, { seconds = 4, periodMs = 500 } = {}) {
  const rate = 48_000;
  const samples = seconds * rate;
  const data = new Int16Array(samples);
  const burst = Math.round(rate * 0.002);
  for (let start = 0; start + burst < samples; start += Math.round((rate * periodMs) / 1000)) {
    for (let i = 0; i < burst; i++) {
      const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / burst);
      data[start + i] = Math.round(0.9 * 32767 * window * Math.sin((2 * Math.PI * 2000 * i) / rate));
    }
  }
  writeWav16Mono(path, data, rate);
}
