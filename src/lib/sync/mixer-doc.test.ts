import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StudioRole } from '../protocol/ticket';
import { DEFAULT_SOURCE_MIX, MixerDoc, type Author } from './mixer-doc';

interface Peer {
  doc: Y.Doc;
  mixer: MixerDoc;
  me: Author;
}

/** What the relay attests: clientID → author for every visit of the room (live and past). */
function createRoom() {
  const presence = new Map<number, Author>();
  const authorOf = (clientId: number) => presence.get(clientId) ?? null;
  const peers: Peer[] = [];
  const join = (userId: string, role: StudioRole = 'member', doc = new Y.Doc()): Peer => {
    const me = { userId, role };
    presence.set(doc.clientID, me);
    const peer = { doc, me, mixer: new MixerDoc({ doc, me, authorOf }) };
    peers.push(peer);
    return peer;
  };
  return { join, presence, peers };
}

/** Full state exchange between every pair, in a given order, until nothing changes. */
function syncAll(peers: Peer[], order: 'forward' | 'reverse' = 'forward'): void {
  for (let round = 0; round < 4; round++) {
    const list = order === 'forward' ? peers : [...peers].reverse();
    for (const from of list) {
      for (const to of list) {
        if (from === to) continue;
        Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)), 'remote');
      }
    }
  }
}

/** Collects the updates a doc makes itself (not those applied from peers), to deliver later. */
function captureUpdates(peer: Peer): Uint8Array[] {
  const queue: Uint8Array[] = [];
  peer.doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'remote') queue.push(update);
  });
  return queue;
}

describe('MixerDoc', () => {
  it('gives defaults when nothing is stored', () => {
    const { join } = createRoom();
    const a = join('ann');
    expect(a.mixer.mixFor('ann')).toEqual({ listener: 'ann', monitor: 0, master: 0, sources: {} });
    expect(a.mixer.channels()).toEqual([]);
    expect(a.mixer.mixFor('zed')).toBe(a.mixer.mixFor('zed'));
    expect(DEFAULT_SOURCE_MIX).toEqual({ gain: 0, pan: 0, mute: false, solo: false });
  });

  it('converges across three docs with reordered, delayed updates', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const b = join('bob');
    const c = join('cat', 'engineer');
    syncAll(peers);
    const queues = peers.map(captureUpdates);
    expect(a.mixer.setGain('ann', 'bob', -3).ok).toBe(true);
    expect(a.mixer.setPan('ann', 'bob', 0.5).ok).toBe(true);
    expect(b.mixer.setMute('bob', 'ann', true).ok).toBe(true);
    expect(c.mixer.setSolo('ann', 'cat', true).ok).toBe(true);
    expect(b.mixer.setMyChannel({ name: 'Bob', instrument: 'bass', colour: '#AABBCC' }).ok).toBe(true);
    // Deliver every captured update to every other doc, newest first (Yjs holds early ones pending).
    peers.forEach((to, i) => {
      for (const [j, queue] of queues.entries()) {
        if (i !== j) for (const u of [...queue].reverse()) Y.applyUpdate(to.doc, u, 'remote');
      }
    });
    for (const p of peers) {
      expect(p.mixer.mixFor('ann').sources).toEqual({
        bob: { gain: -3, pan: 0.5, mute: false, solo: false },
        cat: { gain: 0, pan: 0, mute: false, solo: true },
      });
      expect(p.mixer.mixFor('bob').sources.ann?.mute).toBe(true);
      expect(p.mixer.channels()).toEqual([
        { userId: 'bob', name: 'Bob', instrument: 'bass', colour: '#aabbcc' },
      ]);
    }
  });

  it('clamps values and refuses malformed ones', () => {
    const { join } = createRoom();
    const a = join('ann');
    expect(a.mixer.setGain('ann', 'bob', 40)).toEqual({ ok: true });
    expect(a.mixer.setPan('ann', 'bob', -9).ok).toBe(true);
    expect(a.mixer.setMonitor('ann', -1000).ok).toBe(true);
    expect(a.mixer.mixFor('ann')).toMatchObject({ monitor: -60, sources: { bob: { gain: 12, pan: -1 } } });
    expect(a.mixer.setGain('ann', 'bob', Number.NaN)).toMatchObject({ ok: false, code: 'invalid' });
    expect(a.mixer.setMute('ann', 'bob', 'yes' as unknown as boolean)).toMatchObject({ code: 'invalid' });
    expect(a.mixer.setGain('ann', 'bad/id', 0)).toMatchObject({ code: 'invalid' });
    expect(a.mixer.setMyChannel({ colour: 'red' })).toMatchObject({ code: 'invalid' });
  });

  it('ignores malformed and out-of-range entries written by peers', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const b = join('bob');
    syncAll(peers);
    a.mixer.setGain('ann', 'bob', -4);
    syncAll(peers);
    // Bob writes junk into his own mix with a raw doc write (a modified client would).
    const mixes = b.doc.getMap('mixes');
    b.doc.transact(() => {
      mixes.set('bob:gain/ann', 'loud');
      mixes.set('bob:pan/ann', 7);
      mixes.set('bob:nonsense', 1);
      mixes.set('no owner', 1);
    });
    syncAll(peers);
    expect(a.mixer.mixFor('bob').sources.ann).toEqual({ gain: 0, pan: 1, mute: false, solo: false });
    expect(a.mixer.mixFor('ann').sources.bob?.gain).toBe(-4);
  });

  it('lets an engineer change another player’s mix', () => {
    const { join, peers } = createRoom();
    join('ann');
    const e = join('eve', 'engineer');
    const o = join('olu', 'owner');
    syncAll(peers);
    expect(e.mixer.setGain('ann', 'olu', -12)).toEqual({ ok: true });
    expect(o.mixer.setMaster('ann', -2)).toEqual({ ok: true });
    syncAll(peers);
    for (const p of peers)
      expect(p.mixer.mixFor('ann')).toMatchObject({ master: -2, sources: { olu: { gain: -12 } } });
  });

  it('refuses a member’s change to another mix, ignores a forced one and heals it', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const b = join('bob');
    const c = join('cat');
    syncAll(peers);
    a.mixer.setGain('ann', 'cat', -5);
    syncAll(peers);
    const before = a.mixer.mixFor('ann');
    expect(b.mixer.setGain('ann', 'cat', 6)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(b.mixer.setMyChannel({ name: 'x' }).ok).toBe(true);

    // Bob forces it with raw writes: one overwrite and one new field.
    const mixes = b.doc.getMap('mixes');
    b.doc.transact(() => {
      mixes.set('ann:gain/cat', 6);
      mixes.set('ann:mute/cat', true);
    });
    // Cat sees it first: ignored, the last permitted value is kept.
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(c.doc)), 'remote');
    expect(c.mixer.mixFor('ann').sources.cat).toEqual({ ...DEFAULT_SOURCE_MIX, gain: -5 });
    // Ann sees it: her snapshot does not even change, and she writes the permitted value back.
    const annUpdates = captureUpdates(a);
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)), 'remote');
    expect(a.mixer.mixFor('ann')).toBe(before);
    expect(annUpdates.length).toBe(1); // the heal; the remote update itself is not counted
    syncAll(peers);
    for (const p of peers) {
      const stored = Object.entries(p.doc.getMap('mixes').toJSON()).filter(([k]) => k.startsWith('ann:'));
      expect(stored).toEqual([['ann:gain/cat', -5]]);
      expect(p.mixer.mixFor('ann').sources.cat).toEqual({ ...DEFAULT_SOURCE_MIX, gain: -5 });
    }
  });

  it('refuses a forced write to someone else’s channel', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const b = join('bob');
    a.mixer.setMyChannel({ name: 'Ann' });
    syncAll(peers);
    b.doc.getMap('channels').set('ann:name', 'Bob was here');
    syncAll(peers);
    for (const p of peers) expect(p.mixer.channels()[0]?.name).toBe('Ann');
  });

  it('ignores writes by a Yjs client the relay never attested', () => {
    const { join, peers, presence } = createRoom();
    const a = join('ann');
    const e = join('eve', 'engineer');
    presence.delete(e.doc.clientID); // a client id that was never attested in this room
    e.mixer.setGain('ann', 'eve', -9);
    e.mixer.setMyChannel({ name: 'Eve' });
    syncAll(peers);
    expect(a.mixer.mixFor('ann').sources.eve).toBeUndefined();
    expect(a.mixer.channels()).toEqual([]);
  });

  it('takes rights away from a demoted engineer at once, keeping what was permitted', () => {
    const { join, peers, presence } = createRoom();
    const a = join('ann');
    const e = join('eve', 'engineer');
    e.mixer.setGain('ann', 'eve', -9);
    syncAll(peers);
    expect(a.mixer.mixFor('ann').sources.eve?.gain).toBe(-9);
    // The relay attests the new role to everyone (peer-updated); Eve's own client learns it too.
    presence.set(e.doc.clientID, { userId: 'eve', role: 'member' });
    a.mixer.recheck();
    let notified = 0;
    e.mixer.subscribe(() => notified++);
    e.mixer.setMe({ userId: 'eve', role: 'member' });
    expect(notified).toBe(1); // the UI re-reads canEditOthers
    expect(e.mixer.canEditOthers).toBe(false);
    expect(e.mixer.setGain('ann', 'eve', -3)).toMatchObject({ ok: false, code: 'forbidden' });
    e.doc.getMap('mixes').set('ann:gain/eve', -30); // a modified client writing anyway
    syncAll(peers);
    expect(a.mixer.mixFor('ann').sources.eve?.gain).toBe(-9);
    expect(e.mixer.mixFor('ann').sources.eve?.gain).toBe(-9);
  });

  it('converges under concurrent edits of the same and different fields', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const e = join('eve', 'engineer');
    a.mixer.setMonitor('ann', -1);
    syncAll(peers);
    a.mixer.setGain('ann', 'eve', -1);
    e.mixer.setGain('ann', 'eve', -2);
    a.mixer.setPan('ann', 'eve', -0.5);
    e.mixer.setMute('ann', 'eve', true);
    syncAll(peers, 'reverse');
    const mix = a.mixer.mixFor('ann');
    expect(e.mixer.mixFor('ann')).toEqual(mix);
    expect(mix.sources.eve).toMatchObject({ pan: -0.5, mute: true });
    expect([-1, -2]).toContain(mix.sources.eve?.gain);
  });

  it('keeps a mix across a reload', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const b = join('bob');
    syncAll(peers);
    a.mixer.setGain('ann', 'bob', -7);
    a.mixer.setMaster('ann', 3);
    a.mixer.setMyChannel({ name: 'Ann', instrument: 'keys' });
    syncAll(peers);
    a.mixer.dispose();
    peers.splice(peers.indexOf(a), 1);

    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(b.doc));
    const a2 = join('ann', 'member', reloaded);
    expect(a2.mixer.mixFor('ann')).toMatchObject({ master: 3, sources: { bob: { gain: -7 } } });
    expect(a2.mixer.channels()).toEqual([
      { userId: 'ann', name: 'Ann', instrument: 'keys', colour: '#7f8aa3' },
    ]);
    // Healing did not rewrite anything: the old tab's writes are attributed through the relay's record.
    const updates = captureUpdates(a2);
    a2.mixer.recheck();
    expect(updates).toEqual([]);
  });

  it('notifies once per transaction with stable snapshots, and stops after dispose', () => {
    const { join } = createRoom();
    const a = join('ann');
    let calls = 0;
    const off = a.mixer.subscribe(() => calls++);
    a.doc.transact(() => {
      a.mixer.setGain('ann', 'bob', -1);
      a.mixer.setPan('ann', 'bob', 0.2);
    });
    expect(calls).toBe(1);
    const snap = a.mixer.mixFor('ann');
    a.mixer.setGain('ann', 'bob', -1);
    expect(a.mixer.mixFor('ann')).toBe(snap);
    expect(calls).toBe(1);
    off();
    a.mixer.setGain('ann', 'bob', -2);
    expect(calls).toBe(1);
    a.mixer.dispose();
    a.mixer.dispose();
    expect(a.mixer.setGain('ann', 'bob', 0)).toMatchObject({ ok: false });
  });

  it('restores a field a peer deleted (deletions carry no author)', () => {
    const { join, peers } = createRoom();
    const a = join('ann');
    const b = join('bob');
    a.mixer.setMonitor('ann', -20);
    syncAll(peers);
    b.doc.getMap('mixes').delete('ann:monitor');
    expect(b.mixer.mixFor('ann').monitor).toBe(0);
    syncAll(peers);
    for (const p of peers) expect(p.mixer.mixFor('ann').monitor).toBe(-20);
  });
});
