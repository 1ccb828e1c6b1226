import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StudioRole } from '../protocol/ticket';
import { BackingTrackDoc, DEFAULT_BACKING_TRANSPORT, NEW_TRACK_LEAD_MS } from './backing-track-doc';
import { MetronomeDoc, START_LEAD_MS } from './metronome-doc';
import type { Author } from './mixer-doc';

interface Peer {
  doc: Y.Doc;
  metronome: MetronomeDoc;
  track: BackingTrackDoc;
  me: Author;
}

const TRACK = 'k3j4h5g6f7d8s9a';

/** Players whose clocks differ: `skewMs` ahead of true time; offsets are measured exactly. */
function createRoom(now = () => 1_000_000) {
  const presence = new Map<number, Author>();
  const skew = new Map<string, number>();
  const peers: Peer[] = [];
  const join = (userId: string, role: StudioRole = 'member', skewMs = 0): Peer => {
    const doc = new Y.Doc();
    const me = { userId, role };
    presence.set(doc.clientID, me);
    skew.set(userId, skewMs);
    const shared = {
      doc,
      me,
      authorOf: (client: number) => presence.get(client) ?? null,
      now: () => now() + skewMs,
      offsetOf: (other: string) => (skew.has(other) ? skew.get(other)! - skewMs : null),
    };
    const metronome = new MetronomeDoc(shared);
    const track = new BackingTrackDoc({ ...shared, mayControl: (a) => metronome.mayControl(a) });
    metronome.subscribe(() => track.recheck());
    const peer = { doc, me, metronome, track };
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

describe('BackingTrackDoc', () => {
  it('starts a new track with time for everyone to load it, on the starter’s clock, mapped onto each player’s', () => {
    let now = 1_000_000;
    const { join, syncAll } = createRoom(() => now);
    const eng = join('eng', 'engineer', 30);
    const ann = join('ann', 'member', -20);
    expect(ann.track.transport).toEqual(DEFAULT_BACKING_TRANSPORT);
    expect(eng.track.play(TRACK, 1500).ok).toBe(true);
    syncAll();
    expect(ann.track.transport).toEqual({
      playing: true,
      trackId: TRACK,
      fromMs: 1500,
      startAt: 1_000_000 + 30 + NEW_TRACK_LEAD_MS,
      clock: 'eng',
    });
    // Half a second after the start, both hear the same position, whatever their clocks say.
    now += NEW_TRACK_LEAD_MS + 500;
    expect(ann.track.positionNow()).toBeCloseTo(2000, 9);
    expect(eng.track.positionNow()).toBeCloseTo(2000, 9);
    // The same track again (loaded everywhere by now) starts only a moment ahead.
    eng.track.play(TRACK, 0);
    expect(eng.track.transport.startAt).toBe(now + 30 + START_LEAD_MS);
  });

  it('seeks by starting again, and stops where it is so it can resume there', () => {
    let now = 1_000_000;
    const { join, syncAll } = createRoom(() => now);
    const own = join('own', 'owner');
    const eng = join('eng', 'engineer', 10);
    own.track.play(TRACK);
    syncAll();
    now += NEW_TRACK_LEAD_MS + 3000;
    expect(eng.track.seek(60_000).ok).toBe(true);
    syncAll();
    expect(own.track.transport).toMatchObject({ playing: true, fromMs: 60_000, clock: 'eng' });
    now += START_LEAD_MS + 2000;
    expect(own.track.stop().ok).toBe(true);
    syncAll();
    expect(eng.track.transport).toMatchObject({
      playing: false,
      trackId: TRACK,
      fromMs: 62_000,
      clock: 'own',
    });
    expect(eng.track.positionNow()).toBe(62_000);
  });

  it('follows the metronome’s rule: members control it only while the studio setting says everyone', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const ann = join('ann');
    expect(ann.track.canControl).toBe(false);
    expect(ann.track.play(TRACK)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(ann.doc.getMap('backingTrack').size).toBe(0);
    eng.metronome.setEditors('everyone');
    syncAll();
    expect(ann.track.canControl).toBe(true);
    expect(ann.track.play(TRACK).ok).toBe(true);
    syncAll();
    expect(eng.track.transport).toMatchObject({ playing: true, clock: 'ann' });
  });

  it('hostile: a member’s forged start is ignored by everyone and reverted by the engineer', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    const ann = join('ann');
    // Bob's client bypasses the verb and writes the map directly (what a modified client would send).
    bob.doc.getMap('backingTrack').set('transport', {
      playing: true,
      trackId: TRACK,
      startAt: 1_000_400,
      fromMs: 0,
      clock: 'bob',
    });
    const forged = Y.encodeStateAsUpdate(bob.doc);
    Y.applyUpdate(ann.doc, forged, 'remote');
    expect(ann.track.transport.playing).toBe(false);
    Y.applyUpdate(eng.doc, forged, 'remote');
    syncAll();
    for (const peer of [eng, bob, ann]) expect(peer.track.transport).toEqual(DEFAULT_BACKING_TRANSPORT);
    // The doc itself says stopped again (healed), so players who join later agree too.
    expect((ann.doc.getMap('backingTrack').get('transport') as { playing: boolean }).playing).toBe(false);
  });

  it('hostile: a member cannot stop the band’s track, and a permitted one cannot claim another’s clock', () => {
    const { join, syncAll } = createRoom();
    const own = join('own', 'owner');
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    own.track.play(TRACK);
    syncAll();
    const playing = own.track.transport;
    bob.doc.getMap('backingTrack').set('transport', { ...playing, playing: false, clock: 'bob' });
    syncAll();
    for (const peer of [own, eng, bob]) expect(peer.track.transport).toEqual(playing);
    // The engineer may write, but not as if the owner had: `clock` names the writer.
    eng.doc.getMap('backingTrack').set('transport', { ...playing, fromMs: 9000, clock: 'own' });
    syncAll();
    for (const peer of [own, eng, bob]) expect(peer.track.transport).toEqual(playing);
  });

  it('hostile: malformed and out-of-range transports are refused', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    eng.metronome.setEditors('everyone');
    syncAll();
    const base = { ...DEFAULT_BACKING_TRANSPORT, clock: 'bob' };
    const bad: unknown[] = [
      'play',
      { ...base, playing: true },
      { ...base, playing: true, trackId: '../../etc/passwd' },
      { ...base, trackId: TRACK, fromMs: -1 },
      { ...base, trackId: TRACK, fromMs: Number.NaN },
      { ...base, trackId: TRACK, fromMs: 1e12 },
      { ...base, trackId: TRACK, startAt: -5 },
      { ...base, trackId: TRACK, playing: 'yes' },
      { ...base, clock: 'x'.repeat(10_000) },
    ];
    for (const value of bad) {
      bob.doc.getMap('backingTrack').set('transport', value);
      syncAll();
      expect(eng.track.transport).toEqual(DEFAULT_BACKING_TRANSPORT);
    }
    expect(eng.track.seek(-1)).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('follows a demotion and a setting taken back at once', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const ann = join('ann');
    eng.metronome.setEditors('everyone');
    syncAll();
    expect(ann.track.canControl).toBe(true);
    eng.metronome.setEditors('engineers');
    syncAll();
    expect(ann.track.play(TRACK).ok).toBe(false);
    eng.track.setMe({ userId: 'eng', role: 'member' });
    expect(eng.track.canControl).toBe(false);
  });
});
