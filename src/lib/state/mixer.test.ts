import { describe, expect, it } from 'vitest';
import { MixerDoc } from '../sync/mixer-doc';
import { StudioSync } from '../sync/studio-sync';
import { MixerState } from './mixer.svelte';

function setup(role: 'member' | 'engineer' = 'member') {
  const doc = new StudioSync().doc;
  const mixer = new MixerDoc({ doc, me: { userId: 'ann', role }, roleOf: () => null });
  return { mixer, doc };
}

describe('MixerState', () => {
  it('lists one strip per other player with defaults and reads meters on demand', () => {
    const { mixer } = setup();
    mixer.setMyChannel({ name: 'Ann' });
    const state = new MixerState({
      mixer,
      me: 'ann',
      players: () => ['ann', 'bob', 'bob'],
      meters: (id) => (id === 'bob' ? { peak: 0.5, rms: 0.2 } : null),
    });
    expect(state.strips).toEqual([
      {
        userId: 'bob',
        name: 'bob',
        instrument: '',
        colour: '#7f8aa3',
        gain: 0,
        pan: 0,
        mute: false,
        solo: false,
        latencyMs: null,
      },
    ]);
    expect(state.setGain('bob', -3)).toBe(true);
    expect(state.strips[0]?.gain).toBe(-3);
    expect(state.monitor).toBe(-6);
    expect(state.meter('bob')).toEqual({ peak: 0.5, rms: 0.2 });
  });

  it('exposes the refusal of a forbidden change and clears it on the next accepted one', () => {
    const { mixer } = setup();
    const state = new MixerState({ mixer, me: 'ann' });
    expect(state.canEditOthers).toBe(false);
    state.listener = 'bob';
    expect(state.setMaster(-1)).toBe(false);
    expect(state.refusal).toMatch(/engineer/);
    state.listener = 'ann';
    expect(state.setMaster(-1)).toBe(true);
    expect(state.refusal).toBeNull();
    expect(state.master).toBe(-1);
  });

  it('stops on dispose, twice', () => {
    const { mixer } = setup('engineer');
    const state = new MixerState({ mixer, me: 'ann', players: () => ['bob'] });
    state.dispose();
    state.dispose();
    expect(state.strips).toEqual([]);
    expect(state.setGain('bob', 1)).toBe(false);
  });
});
