import { describe, expect, it } from 'vitest';
import { MAX_PEERS } from './audio-layout.js';
import { AUDIO_WORKLET_VERSION, asWorkletCommand } from './audio-worklet.js';

const metronome = {
  type: 'metronome',
  running: true,
  beatZeroFrame: 48_000.5,
  framesPerBeat: 24_000,
  beatsPerBar: 4,
  firstBeat: -4,
  gain: 0.5,
};

describe('asWorkletCommand', () => {
  it('accepts well-formed commands', () => {
    const init = { type: 'init', version: AUDIO_WORKLET_VERSION, fallback: true, frameSamples: 120 };
    expect(asWorkletCommand(init)).toBe(init);
    expect(asWorkletCommand({ type: 'add-peer', slot: 7, peerKey: 'p' })).not.toBeNull();
    expect(asWorkletCommand({ type: 'packet', slot: 0, seq: 1, pcm: new Float32Array(120) })).not.toBeNull();
    expect(asWorkletCommand(metronome)).toBe(metronome);
  });

  it.each([
    null,
    3,
    'init',
    { type: 'nope' },
    { type: 'add-peer', slot: MAX_PEERS, peerKey: 'p' },
    { type: 'init' },
    // The metronome: a beat shorter than 1,000 frames, non-finite mapping, fractional bars, wild gain.
    { ...metronome, framesPerBeat: 999 },
    { ...metronome, beatZeroFrame: Number.NaN },
    { ...metronome, beatsPerBar: 2.5 },
    { ...metronome, firstBeat: 0.5 },
    { ...metronome, gain: 1e6 },
    { ...metronome, running: 'yes' },
  ])('rejects %j', (value) => {
    expect(asWorkletCommand(value)).toBeNull();
  });
});
