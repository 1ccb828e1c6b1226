import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EFFECTS, PRESETS, type EffectSettings } from '../protocol/effects';
import { EFFECTS_STORAGE_KEY, EffectsState, accountEffects } from './effects.svelte';

function storage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => items.set(k, v),
  };
}

describe('EffectsState (signed out: this browser only)', () => {
  it('starts bypassed, applies at once, and remembers a preset in this browser', () => {
    const applied: EffectSettings[] = [];
    const s = storage();
    const state = new EffectsState({ pb: null, storage: s, apply: (x) => void applied.push(x) });
    expect(applied).toEqual([DEFAULT_EFFECTS]);
    state.choosePreset('guitar');
    expect(state.preset).toBe('guitar');
    expect(applied.at(-1)).toEqual(PRESETS.guitar);
    expect(JSON.parse(s.items.get(EFFECTS_STORAGE_KEY)!)).toEqual(PRESETS.guitar);
    // Moving a control leaves the preset.
    state.change('eq', { midDb: 5 });
    expect(state.preset).toBeNull();
    expect(state.settings.eq.midDb).toBe(5);
    const again = new EffectsState({ pb: null, storage: s, apply: () => {} });
    expect(again.settings.eq).toEqual({ ...PRESETS.guitar.eq, midDb: 5 });
    state.dispose();
    again.dispose();
  });

  it('refuses out-of-range changes and unknown presets without applying them', () => {
    const applied: EffectSettings[] = [];
    const state = new EffectsState({ pb: null, storage: storage(), apply: (x) => void applied.push(x) });
    state.change('compressor', { ratio: 1000 });
    state.change('reverb', { mix: Number.NaN });
    state.choosePreset('__proto__');
    state.choosePreset('kazoo');
    expect(applied).toEqual([DEFAULT_EFFECTS]);
    expect(state.settings).toEqual(DEFAULT_EFFECTS);
    state.dispose();
  });

  it('ignores a tampered or broken stored value', () => {
    for (const raw of ['{not json', JSON.stringify({ ...PRESETS.bass, gate: { on: true } }), '"x"']) {
      const state = new EffectsState({
        pb: null,
        storage: storage({ [EFFECTS_STORAGE_KEY]: raw }),
        apply: () => {},
      });
      expect(state.settings).toEqual(DEFAULT_EFFECTS);
      state.dispose();
    }
  });
});

describe('EffectsState sends a slider drag to the worklet at most every 50 ms', () => {
  afterEach(() => vi.useRealTimers());

  it('the first change at once, the rest as one trailing message with the latest values', () => {
    vi.useFakeTimers();
    const applied: EffectSettings[] = [];
    const state = new EffectsState({ pb: null, storage: storage(), apply: (x) => void applied.push(x) });
    state.change('eq', { on: true });
    for (let db = 1; db <= 10; db++) {
      state.change('eq', { midDb: db });
      vi.advanceTimersByTime(2);
    }
    expect(applied).toHaveLength(2); // the defaults, then the first change
    vi.advanceTimersByTime(50);
    expect(applied).toHaveLength(3);
    expect(applied.at(-1)!.eq).toEqual({ ...DEFAULT_EFFECTS.eq, on: true, midDb: 10 });
    state.dispose();
  });
});

describe('accountEffects', () => {
  it('reads only valid settings from preferences', () => {
    expect(accountEffects({ preferences: { effects: PRESETS.keys } })).toEqual(PRESETS.keys);
    expect(accountEffects({ preferences: { effects: { ...PRESETS.keys, eq: 'loud' } } })).toBeNull();
    expect(accountEffects({ preferences: null })).toBeNull();
    expect(accountEffects(null)).toBeNull();
  });
});
