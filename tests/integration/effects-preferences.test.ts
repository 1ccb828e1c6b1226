/**
 * Effect settings saved per user in the account's `preferences` (issue 11, item 5), against the real
 * PocketBase: they follow the player to another browser, keep the other preferences (theme), and are
 * checked when read back. Hostile callers: another user, a guest, a bad token, an oversize value, and
 * tampered settings written straight through the records API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EFFECTS, PRESETS, type EffectSettings } from '../../src/lib/protocol/effects';
import { EffectsState } from '../../src/lib/state/effects.svelte';
import {
  guestClient,
  rejection,
  signUp,
  startPocketBase,
  type RunningPocketBase,
} from '../support/pocketbase';

let server: RunningPocketBase;
beforeAll(async () => {
  server = await startPocketBase();
});
afterAll(async () => {
  await server?.stop();
});

describe('effects in preferences', () => {
  it('saves a preset to the account and another browser starts from it; the theme stays', async () => {
    const me = await signUp(server.url, 'Singer');
    await me.pb.collection('users').update(me.id, { preferences: { theme: 'light' } });
    await me.pb.collection('users').authRefresh();
    const state = new EffectsState({ pb: me.pb, storage: null, apply: () => {} });
    state.choosePreset('bass');
    state.change('reverb', { on: true });
    await state.flush();
    expect(state.saveError).toBeNull();
    const stored = await me.pb.collection('users').getOne(me.id);
    expect(stored.preferences).toEqual({
      theme: 'light',
      effects: { ...PRESETS.bass, reverb: { ...PRESETS.bass.reverb, on: true } },
    });

    // "Another browser": a fresh client, signed in, nothing in its storage.
    const other = guestClient(server.url);
    await other.collection('users').authWithPassword(me.email, me.password);
    const applied: EffectSettings[] = [];
    const there = new EffectsState({ pb: other, storage: null, apply: (s) => void applied.push(s) });
    expect(applied).toEqual([{ ...PRESETS.bass, reverb: { ...PRESETS.bass.reverb, on: true } }]);
    there.dispose();
    state.dispose();
  });

  it('two accounts in one browser keep their own settings', async () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    };
    const ana = await signUp(server.url, 'Ana');
    const ben = await signUp(server.url, 'Ben');
    const anas = new EffectsState({ pb: ana.pb, storage, apply: () => {} });
    anas.choosePreset('drums');
    anas.dispose();
    // Ben's account has no effects yet (Ana's save may still be in flight: only the browser matters here).
    const applied: EffectSettings[] = [];
    const bens = new EffectsState({ pb: ben.pb, storage, apply: (s) => void applied.push(s) });
    expect(applied).toEqual([DEFAULT_EFFECTS]);
    bens.dispose();
  });

  it('another user or a guest cannot write someone else’s effects', async () => {
    const victim = await signUp(server.url, 'Victim');
    const mallory = await signUp(server.url, 'Mallory');
    const forged = { preferences: { effects: PRESETS.drums } };
    expect((await rejection(mallory.pb.collection('users').update(victim.id, forged))).status).toBe(404);
    expect(
      (await rejection(guestClient(server.url).collection('users').update(victim.id, forged))).status,
    ).toBe(404);
    expect((await victim.pb.collection('users').getOne(victim.id)).preferences ?? null).toBeNull();
  });

  it('an oversize preferences value is refused with a 400 and the account keeps its settings', async () => {
    const me = await signUp(server.url, 'Keys');
    await me.pb.collection('users').update(me.id, { preferences: { effects: PRESETS.keys } });
    const huge = { preferences: { effects: PRESETS.keys, junk: 'x'.repeat(20_000) } };
    expect((await rejection(me.pb.collection('users').update(me.id, huge))).status).toBe(400);
    expect((await me.pb.collection('users').getOne(me.id)).preferences).toEqual({ effects: PRESETS.keys });
  });

  it('tampered settings written through the API are ignored when read back', async () => {
    const me = await signUp(server.url, 'Drums');
    const tampered = { ...PRESETS.drums, compressor: { ...PRESETS.drums.compressor, ratio: 1e9 } };
    await me.pb.collection('users').update(me.id, { preferences: { effects: tampered } });
    await me.pb.collection('users').authRefresh();
    const applied: EffectSettings[] = [];
    const state = new EffectsState({ pb: me.pb, storage: null, apply: (s) => void applied.push(s) });
    expect(applied).toEqual([DEFAULT_EFFECTS]);
    state.dispose();
  });

  it('a bad or expired token: the save fails with a sentence, the settings still apply here', async () => {
    const me = await signUp(server.url, 'Guitar');
    const state = new EffectsState({ pb: me.pb, storage: null, apply: () => {} });
    // A token that looks valid to the client but is signed with the wrong key.
    const [head, body] = me.pb.authStore.token.split('.');
    me.pb.authStore.save(`${head}.${body}.forged-signature`, me.pb.authStore.record);
    state.choosePreset('voice');
    await state.flush();
    expect(state.settings).toEqual(PRESETS.voice);
    expect(state.saveError).toMatch(/Could not save your effects to your account/);
    state.dispose();
  });
});
