/**
 * Estimated one-way delay from a remote player's mouth to our ears, like Jamulus's "overall delay".
 * Pure arithmetic over what we measured, so the rules are tested without an engine.
 *
 * Data path: half the RTT on the audio channel + our jitter buffer for them + ONE OF THEIR FRAMES (the
 * sender holds a whole frame before encoding it: their frame size, read from their frames' headers,
 * not ours) + codec lookahead + our output device latency + their capture buffering (estimated as our
 * own base latency, the best guess we have).
 * Track path: the WebRTC jitter buffer's delay (in `networkMs`, with RTT/2) + one 10 ms packet + the
 * browser's Opus lookahead + the same device terms.
 */
import type { TransportCodec } from '../protocol/audio-worker';

/** Lookahead of Opus in CELT low-delay mode (2.5 ms); PCM has none. */
export const OPUS_LOWDELAY_LOOKAHEAD_MS = 2.5;
/** The browser's Opus (track path): default mode lookahead, and the packet time we negotiate. */
export const OPUS_DEFAULT_LOOKAHEAD_MS = 6.5;
export const TRACK_PACKET_MS = 10;
const SAMPLE_RATE = 48_000;

export interface DeviceLatency {
  /** Our output device, ms. */
  output: number;
  /** Our context's base latency, ms (stands in for their capture buffering). */
  base: number;
}

export function dataPathDelayMs(input: {
  rttMs: number;
  /** Our jitter buffer's playout delay for them, ms. */
  depthMs: number;
  /** Their frame size, samples per channel at 48 kHz. */
  remoteFrameSamples: number;
  codec: TransportCodec;
  device: DeviceLatency;
}): number {
  const frameMs = (input.remoteFrameSamples / SAMPLE_RATE) * 1000;
  const codecMs = input.codec === 'opus' ? OPUS_LOWDELAY_LOOKAHEAD_MS : 0;
  return input.rttMs / 2 + input.depthMs + frameMs + codecMs + input.device.output + input.device.base;
}

export function trackPathDelayMs(input: { networkMs: number; device: DeviceLatency }): number {
  return (
    input.networkMs + TRACK_PACKET_MS + OPUS_DEFAULT_LOOKAHEAD_MS + input.device.output + input.device.base
  );
}
