import { describe, expect, it } from 'vitest';
import { DEFAULT_EFFECTS, PRESETS } from '../protocol/effects';
import { sendsProcessed } from './send-track';

describe('sendsProcessed (what the track path sends)', () => {
  it('sends the microphone as is while nothing applies to it', () => {
    expect(sendsProcessed(null, 0)).toBe(false);
    expect(sendsProcessed(DEFAULT_EFFECTS, 0)).toBe(false);
  });

  it('the reverb alone is heard only by the player: still the microphone', () => {
    expect(sendsProcessed({ ...DEFAULT_EFFECTS, reverb: { on: true, mix: 0.5, size: 0.5 } }, 0)).toBe(false);
  });

  it('any send effect, or an input gain other than 0 dB, sends the processed signal', () => {
    expect(sendsProcessed(PRESETS.voice, 0)).toBe(true);
    expect(sendsProcessed({ ...DEFAULT_EFFECTS, gate: { ...DEFAULT_EFFECTS.gate, on: true } }, 0)).toBe(true);
    expect(sendsProcessed({ ...DEFAULT_EFFECTS, eq: { ...DEFAULT_EFFECTS.eq, on: true } }, 0)).toBe(true);
    expect(
      sendsProcessed({ ...DEFAULT_EFFECTS, compressor: { ...DEFAULT_EFFECTS.compressor, on: true } }, 0),
    ).toBe(true);
    expect(sendsProcessed(DEFAULT_EFFECTS, -6)).toBe(true);
    expect(sendsProcessed(null, 3)).toBe(true);
  });
});
