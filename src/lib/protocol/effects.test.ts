import { describe, expect, it } from 'vitest';
import { DEFAULT_EFFECTS, PRESETS, PRESET_NAMES, parseEffectSettings } from './effects.js';

describe('parseEffectSettings', () => {
  it('accepts the defaults and every preset', () => {
    expect(parseEffectSettings(DEFAULT_EFFECTS)).toEqual({ ok: true, settings: DEFAULT_EFFECTS });
    for (const name of PRESET_NAMES) expect(parseEffectSettings(PRESETS[name]).ok).toBe(true);
  });

  it.each([
    [null, 'effect settings must be an object'],
    [[], 'effect settings must be an object'],
    [{ ...DEFAULT_EFFECTS, gate: undefined }, 'gate: settings missing'],
    [{ ...DEFAULT_EFFECTS, eq: { ...DEFAULT_EFFECTS.eq, on: 'yes' } }, 'eq: "on" must be true or false'],
    [
      { ...DEFAULT_EFFECTS, eq: { ...DEFAULT_EFFECTS.eq, midDb: 40 } },
      'eq.midDb must be a number from -15 to 15',
    ],
    [
      { ...DEFAULT_EFFECTS, compressor: { ...DEFAULT_EFFECTS.compressor, ratio: Number.NaN } },
      'compressor.ratio must be a number from 1 to 20',
    ],
    [
      { ...DEFAULT_EFFECTS, reverb: { ...DEFAULT_EFFECTS.reverb, mix: '0.5' } },
      'reverb.mix must be a number from 0 to 1',
    ],
    [
      { ...DEFAULT_EFFECTS, gate: { ...DEFAULT_EFFECTS.gate, releaseMs: Infinity } },
      'gate.releaseMs must be a number from 5 to 2000',
    ],
  ])('refuses %j with a reason', (value, reason) => {
    expect(parseEffectSettings(value)).toEqual({ ok: false, reason });
  });

  it('keeps only known fields (extra keys, e.g. a huge string, are dropped)', () => {
    const r = parseEffectSettings({
      ...DEFAULT_EFFECTS,
      junk: 'x'.repeat(1e5),
      gate: { ...DEFAULT_EFFECTS.gate, x: 1 },
    });
    expect(r).toEqual({ ok: true, settings: DEFAULT_EFFECTS });
  });
});
