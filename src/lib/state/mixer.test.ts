import { describe, expect, it } from 'vitest';
import { MixerDoc } from '../sync/mixer-doc';
import { StudioSync } from '../sync/studio-sync';
import { MixerState } from './mixer.svelte';

const authority = { clientOf: () => undefined, isLiveClient: () => false, isKnownClient: () => false };

function setup(role: 'member' | 'engineer' = 'member') {
  const doc = new StudioSync({ authority }).doc;
  const mixer = new MixerDoc({ doc, me: { userId: 'ann', role }, authorOf: () => null });
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
        audioOff: false,
      },
    ]);
    expect(state.setGain('bob', -3)).toBe(true);
    expect(state.strips[0]?.gain).toBe(-3);
    expect(state.monitor).toBe(0);
    expect(state.meter('bob')).toEqual({ peak: 0.5, rms: 0.2 });
  });

  it('names strips as the relay attests the players, whatever their channel entry says', () => {
    const { mixer, doc } = setup();
    // A channel entry for Bob that says otherwise (written by Bob himself, or a default).
    doc.getMap('channels').set('bob:name', 'Definitely Not Bob');
    const state = new MixerState({
      mixer,
      me: 'ann',
      players: () => ['ann', 'bob', 'cy'],
      identityOf: (id) => (id === 'bob' ? { name: 'Bob', instrument: 'drums' } : null),
    });
    expect(state.strips.map((s) => [s.name, s.instrument])).toEqual([
      ['Bob', 'drums'],
      ['cy', ''],
    ]);
  });

  it('exposes the refusal of a change and clears it on the next accepted one', () => {
    const { mixer } = setup();
    const state = new MixerState({ mixer, me: 'ann' });
    expect(state.setGain('not a user id!', -1)).toBe(false);
    expect(state.refusal).toMatch(/Unknown player/);
    expect(state.setMaster(-1)).toBe(true);
    expect(state.refusal).toBeNull();
    expect(state.master).toBe(-1);
  });

  it('never shows or edits another player’s mix for a member (nor for an engineer demoted meanwhile)', () => {
    const { mixer } = setup();
    const state = new MixerState({ mixer, me: 'ann', players: () => ['ann', 'bob'] });
    expect(state.canEditOthers).toBe(false);
    state.listener = 'bob';
    expect(state.listener).toBe('ann');
    expect(state.setMaster(-1)).toBe(true);
    expect(mixer.mixFor('ann').master).toBe(-1);
    expect(mixer.mixFor('bob').master).toBe(0);

    const engineer = setup('engineer').mixer;
    const mixing = new MixerState({ mixer: engineer, me: 'ann', players: () => ['ann', 'bob'] });
    mixing.listener = 'bob';
    expect(mixing.listener).toBe('bob');
    engineer.setMe({ userId: 'ann', role: 'member' }); // demoted by the owner
    expect(mixing.listener).toBe('ann');
  });

  it('falls back to our own mix when the player we mix for leaves, and stays there', () => {
    const { mixer } = setup('engineer');
    let present = ['ann', 'bob', 'cat'];
    const state = new MixerState({ mixer, me: 'ann', players: () => present });
    state.listener = 'bob';
    expect(state.setMaster(-3)).toBe(true); // bob's master
    expect(state.strips.map((s) => s.userId)).toEqual(['ann', 'cat']);
    present = ['ann', 'cat']; // bob leaves
    expect(state.listener).toBe('ann');
    expect(state.strips.map((s) => s.userId)).toEqual(['cat']);
    expect(state.master).toBe(0); // our own mix, not bob's -3
    expect(state.setMaster(-1)).toBe(true);
    expect(mixer.mixFor('ann').master).toBe(-1);
    expect(mixer.mixFor('bob').master).toBe(-3);
    present = ['ann', 'bob', 'cat']; // bob comes back: the panel does not jump to his mix
    expect(state.listener).toBe('ann');
    state.listener = 'bob'; // until chosen again
    expect(state.listener).toBe('bob');
  });

  it('marks a player whose audio stopped', () => {
    const { mixer } = setup();
    const state = new MixerState({
      mixer,
      me: 'ann',
      players: () => ['ann', 'bob', 'cat'],
      pathOf: (id) => (id === 'bob' ? 'off' : 'opus'),
    });
    expect(state.strips.map((s) => [s.userId, s.audioOff])).toEqual([
      ['bob', true],
      ['cat', false],
    ]);
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
