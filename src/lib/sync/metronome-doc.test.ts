import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StudioRole } from '../protocol/ticket';
import { beatAt, DEFAULT_TRANSPORT, MetronomeDoc, START_LEAD_MS } from './metronome-doc';
import type { Author } from './mixer-doc';

interface Peer {
  doc: Y.Doc;
  metronome: MetronomeDoc;
  me: Author;
}

/** Players whose clocks differ: `skew[userId]` ms ahead of true time; offsets are measured exactly. */
function createRoom(now = () => 1_000_000) {
  const presence = new Map<number, Author>();
  const skew = new Map<string, number>();
  const peers: Peer[] = [];
  const join = (userId: string, role: StudioRole = 'member', skewMs = 0): Peer => {
    const doc = new Y.Doc();
    const me = { userId, role };
    presence.set(doc.clientID, me);
    skew.set(userId, skewMs);
    const metronome = new MetronomeDoc({
      doc,
      me,
      authorOf: (client) => presence.get(client) ?? null,
      now: () => now() + skewMs,
      offsetOf: (other) => (skew.has(other) ? skew.get(other)! - skewMs : null),
    });
    const peer = { doc, me, metronome };
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

describe('MetronomeDoc', () => {
  it('starts with a one-bar count-in ahead of now, on the starter’s clock, and every player sees it', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer', 25);
    const ann = join('ann');
    expect(ann.metronome.transport).toEqual(DEFAULT_TRANSPORT);
    expect(eng.metronome.setTempo(90).ok).toBe(true);
    expect(eng.metronome.setBeatsPerBar(3).ok).toBe(true);
    expect(eng.metronome.start().ok).toBe(true);
    syncAll();
    const t = ann.metronome.transport;
    expect(t).toMatchObject({ running: true, bpm: 90, beatsPerBar: 3, beatOrigin: -3, clock: 'eng' });
    expect(t.timeOrigin).toBe(1_000_000 + 25 + START_LEAD_MS);
    // Bar one starts one bar (3 beats at 90 BPM = 2 s) after the count-in's first beat.
    expect(beatAt(t, t.timeOrigin + 2000)).toBeCloseTo(0, 9);
  });

  it('keeps the beat playing now when the tempo changes, even when the timeline was on another clock', () => {
    let now = 1_000_000;
    const { join, syncAll } = createRoom(() => now);
    const eng = join('eng', 'engineer', 40);
    const own = join('own', 'owner', -15);
    eng.metronome.start();
    syncAll();
    now += 5_000;
    const before = beatAt(eng.metronome.transport, now + 40);
    expect(own.metronome.setTempo(150).ok).toBe(true);
    syncAll();
    const after = eng.metronome.transport;
    expect(after.clock).toBe('own');
    expect(after.bpm).toBe(150);
    expect(beatAt(after, now - 15)).toBeCloseTo(before, 9);
  });

  it('refuses bad tempos and bar lengths with a sentence, and writes nothing', () => {
    const { join } = createRoom();
    const eng = join('eng', 'engineer');
    for (const bpm of [29.9, 300.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const result = eng.metronome.setTempo(bpm);
      expect(result).toEqual({ ok: false, code: 'invalid', message: 'The tempo must be 30–300 BPM.' });
    }
    expect(eng.metronome.setBeatsPerBar(0).ok).toBe(false);
    expect(eng.metronome.setBeatsPerBar(2.5).ok).toBe(false);
    expect(eng.doc.getMap('metronome').size).toBe(0);
  });

  it('lets members control it only while the studio setting says everyone', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const ann = join('ann');
    expect(ann.metronome.canEdit).toBe(false);
    expect(ann.metronome.start()).toMatchObject({ ok: false, code: 'forbidden' });
    expect(ann.metronome.setEditors('everyone')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(eng.metronome.setEditors('everyone').ok).toBe(true);
    syncAll();
    expect(ann.metronome.canEdit).toBe(true);
    expect(ann.metronome.setTempo(100).ok).toBe(true);
    syncAll();
    expect(eng.metronome.transport.bpm).toBe(100);
  });

  it('hostile: a member’s forged tempo update is ignored by everyone and reverted by the engineer', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    const ann = join('ann');
    eng.metronome.setTempo(120);
    syncAll();
    // Bob's client bypasses the verb and writes the map directly (what a modified client would send).
    bob.doc.getMap('metronome').set('transport', { ...eng.metronome.transport, bpm: 200, clock: 'bob' });
    const forged = Y.encodeStateAsUpdate(bob.doc);
    Y.applyUpdate(ann.doc, forged, 'remote');
    expect(ann.metronome.transport.bpm).toBe(120);
    Y.applyUpdate(eng.doc, forged, 'remote');
    expect(eng.metronome.transport.bpm).toBe(120);
    syncAll();
    for (const peer of [eng, bob, ann]) expect(peer.metronome.transport.bpm).toBe(120);
    // The doc itself says 120 again (healed by the engineer), so players who join later agree too.
    expect((ann.doc.getMap('metronome').get('transport') as { bpm: number }).bpm).toBe(120);
  });

  it('hostile: a member cannot open the metronome to everyone, nor write a timeline on another’s clock', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    bob.doc.getMap('metronome').set('editors', 'everyone');
    syncAll();
    expect(eng.metronome.editors).toBe('engineers');
    expect(bob.doc.getMap('metronome').get('editors')).toBe('engineers');
    eng.metronome.setEditors('everyone');
    syncAll();
    // Allowed to write, but claims the timeline is on the engineer's clock: refused.
    bob.doc.getMap('metronome').set('transport', { ...DEFAULT_TRANSPORT, running: true, clock: 'eng' });
    syncAll();
    expect(eng.metronome.transport.running).toBe(false);
  });

  it('hostile: malformed and out-of-range timelines are refused', () => {
    const { join, syncAll } = createRoom();
    const eng = join('eng', 'engineer');
    const bob = join('bob');
    eng.metronome.setEditors('everyone');
    syncAll();
    const bad: unknown[] = [
      'fast',
      { ...DEFAULT_TRANSPORT, clock: 'bob', bpm: 1e6 },
      { ...DEFAULT_TRANSPORT, clock: 'bob', beatsPerBar: 1000 },
      { ...DEFAULT_TRANSPORT, clock: 'bob', timeOrigin: -5 },
      { ...DEFAULT_TRANSPORT, clock: 'bob', running: 'yes' },
      { ...DEFAULT_TRANSPORT, clock: 'x'.repeat(10_000) },
    ];
    for (const value of bad) {
      bob.doc.getMap('metronome').set('transport', value);
      syncAll();
      expect(eng.metronome.transport).toEqual(DEFAULT_TRANSPORT);
    }
  });

  it('follows a demotion at once: a demoted engineer’s later writes are refused', () => {
    const { join } = createRoom();
    const eng = join('eng', 'engineer');
    expect(eng.metronome.canSetEditors).toBe(true);
    eng.metronome.setMe({ userId: 'eng', role: 'member' });
    expect(eng.metronome.canEdit).toBe(false);
    expect(eng.metronome.start().ok).toBe(false);
    expect(eng.doc.getMap('metronome').has('transport')).toBe(false);
  });
});
