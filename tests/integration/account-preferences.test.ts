/**
 * AccountPreferences against the real server: features save their own key of `preferences` without
 * wiping another's, a second browser of the same account reads them, and another account cannot write them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPocketBaseClient } from '../../src/lib/pb/client';
import { AccountPreferences } from '../../src/lib/state/account-preferences';
import { parseSaved } from '../../src/lib/state/audio-room.svelte';
import { guestClient, signUp, startPocketBase, type RunningPocketBase } from '../support/pocketbase';

let server: RunningPocketBase;

beforeAll(async () => {
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

describe('account preferences', () => {
  it('keeps each feature’s key, and the settings follow the player to another browser', async () => {
    const player = await signUp(server.url, 'Prefs');
    const here = new AccountPreferences(player.pb);
    expect(await here.save('theme', 'light')).toBe(true);
    const audio = { codec: 'pcm', frameMs: 5, inputDeviceId: 'mic-1', outputDeviceId: 'out-2' };
    expect(await here.save('audio', audio)).toBe(true);
    expect(here.get('theme')).toBe('light');

    const elsewhere = createPocketBaseClient({ url: server.url });
    await elsewhere.collection('users').authWithPassword(player.email, player.password);
    const there = new AccountPreferences(elsewhere);
    expect(there.get('theme')).toBe('light');
    expect(parseSaved(there.get('audio'))).toEqual(audio);
  });

  it('saves nothing when signed out, and cannot write someone else’s', async () => {
    expect(await new AccountPreferences(guestClient(server.url)).save('audio', { codec: 'pcm' })).toBe(false);

    const victim = await signUp(server.url, 'Victim');
    const intruder = await signUp(server.url, 'Intruder');
    // The intruder's client pretends to be signed in as the victim (a copied record, its own token).
    intruder.pb.authStore.save(intruder.pb.authStore.token, {
      ...intruder.pb.authStore.record!,
      id: victim.id,
    });
    expect(await new AccountPreferences(intruder.pb).save('audio', { codec: 'pcm' })).toBe(false);
    await victim.pb.collection('users').authRefresh();
    expect(new AccountPreferences(victim.pb).get('audio')).toBeUndefined();
  });

  it('reads saved audio as untrusted: unknown values and oversized ids are dropped', () => {
    expect(parseSaved('nonsense')).toBeNull();
    expect(parseSaved([1, 2])).toBeNull();
    expect(
      parseSaved({
        codec: 'mp3',
        frameMs: 3,
        bitrate: 1,
        channels: 9,
        inputDeviceId: 'x'.repeat(300),
        extra: 1,
      }),
    ).toEqual({});
    expect(parseSaved({ codec: 'opus', voiceProcessing: true, outputDeviceId: 'speakers' })).toEqual({
      codec: 'opus',
      voiceProcessing: true,
      outputDeviceId: 'speakers',
    });
  });
});
