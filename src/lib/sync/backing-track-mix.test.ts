import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StudioRole } from '../protocol/ticket';
import { BACKING_TRACK_SOURCE } from './backing-track-doc';
import { MixerDoc, type Author } from './mixer-doc';

/** The backing track's strip is a mixer source like a player's, under the mixer's rules. */
function createRoom() {
  const presence = new Map<number, Author>();
  const peers: Array<{ doc: Y.Doc; mixer: MixerDoc }> = [];
  const join = (userId: string, role: StudioRole = 'member') => {
    const doc = new Y.Doc();
    const me = { userId, role };
    presence.set(doc.clientID, me);
    const peer = { doc, mixer: new MixerDoc({ doc, me, authorOf: (c) => presence.get(c) ?? null }) };
    peers.push(peer);
    return peer;
  };
  const syncAll = () => {
    for (let round = 0; round < 3; round++)
      for (const from of peers)
        for (const to of peers)
          if (from !== to)
            Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)), 'remote');
  };
  return { join, syncAll };
}

const strip = (mixer: MixerDoc, listener: string) => mixer.mixFor(listener).sources[BACKING_TRACK_SOURCE];

describe('the backing track strip in personal mixes', () => {
  it('lets each player set it in their own mix, and an engineer in anyone’s', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const ann = join('ann');
    expect(ann.mixer.setGain('ann', BACKING_TRACK_SOURCE, -12).ok).toBe(true);
    expect(ann.mixer.setMute('ann', BACKING_TRACK_SOURCE, true).ok).toBe(true);
    syncAll();
    expect(eng.mixer.setGain('ann', BACKING_TRACK_SOURCE, -3).ok).toBe(true);
    syncAll();
    expect(strip(eng.mixer, 'ann')).toMatchObject({ gain: -3, mute: true });
    expect(ann.mixer.setGain('eng', BACKING_TRACK_SOURCE, 6)).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('hostile: a member’s forged write into another’s track strip is ignored and healed', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    bob.doc.getMap('mixes').set(`eng:mute/${BACKING_TRACK_SOURCE}`, true);
    syncAll();
    expect(strip(eng.mixer, 'eng')?.mute ?? false).toBe(false);
    expect(strip(bob.mixer, 'eng')?.mute ?? false).toBe(false);
  });
});
