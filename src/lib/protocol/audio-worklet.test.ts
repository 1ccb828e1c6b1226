import { describe, expect, it } from 'vitest';
import { MAX_PEERS } from './audio-layout.js';
import { AUDIO_WORKLET_VERSION, asWorkletCommand } from './audio-worklet.js';

describe('asWorkletCommand', () => {
  it('accepts well-formed commands', () => {
    const init = { type: 'init', version: AUDIO_WORKLET_VERSION, fallback: true, frameSamples: 120 };
    expect(asWorkletCommand(init)).toBe(init);
    expect(asWorkletCommand({ type: 'add-peer', slot: 7, peerKey: 'p' })).not.toBeNull();
    expect(asWorkletCommand({ type: 'packet', slot: 0, seq: 1, pcm: new Float32Array(120) })).not.toBeNull();
  });

  it.each([
    null,
    3,
    'init',
    { type: 'nope' },
    { type: 'add-peer', slot: MAX_PEERS, peerKey: 'p' },
    { type: 'init' },
  ])('rejects %j', (value) => {
    expect(asWorkletCommand(value)).toBeNull();
  });
});
