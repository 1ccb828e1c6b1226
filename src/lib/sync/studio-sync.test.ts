import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { SYNC_CHUNK_BYTES, SYNC_MAX_UPDATE_BYTES, SyncTag } from '../protocol/sync-wire';
import { splitMessage } from './chunks';
import { StudioSync, type SyncAuthority } from './studio-sync';
import type { AudioPresence } from './presence';

/** The relay's attestations, shared by every sync in a test: peer id → Yjs client id. */
function createRelay() {
  const live = new Map<string, number>();
  const past = new Set<number>();
  const authority: SyncAuthority = {
    clientOf: (peerId) => live.get(peerId),
    isLiveClient: (client) => [...live.values()].includes(client),
    isKnownClient: (client) => past.has(client) || [...live.values()].includes(client),
  };
  const join = (peerId: string) => {
    const sync = new StudioSync({ authority });
    live.set(peerId, sync.clientId);
    return sync;
  };
  const leave = (peerId: string) => {
    const client = live.get(peerId);
    live.delete(peerId);
    if (client !== undefined) past.add(client);
  };
  return { join, leave, live, past };
}

interface Wire {
  sent: Uint8Array[];
}

/** An in-order in-memory link between two syncs, like an open reliable data channel. */
function link(a: StudioSync, aId: string, b: StudioSync, bId: string, wire: Wire = { sent: [] }) {
  let open = false;
  const queue: Array<() => void> = [];
  const deliver = (run: () => void) => {
    queue.push(run);
    while (open && queue.length > 0) queue.shift()!();
    return true;
  };
  a.attach(bId, {
    send: (bytes) => {
      wire.sent.push(bytes);
      return deliver(() => b.receive(aId, bytes));
    },
  });
  b.attach(aId, { send: (bytes) => deliver(() => a.receive(bId, bytes)) });
  open = true;
  deliver(() => undefined);
  return () => {
    open = false;
    a.detach(bId);
    b.detach(aId);
  };
}

function problems(sync: StudioSync): string[] {
  const seen: string[] = [];
  sync.events.on('problem', ({ peerId, code }) => seen.push(`${peerId}:${code}`));
  return seen;
}

/** A y-protocols update message, as a peer (honest or not) would put it on the wire. */
function updateMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SyncTag.Doc);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** Writes made under someone else's Yjs client id: what a modified client can produce. */
function forged(client: number, key: string, value: unknown): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = client;
  doc.getMap('mixes').set(key, value);
  return Y.encodeStateAsUpdate(doc);
}

const audio = { audioPaths: ['data' as const], audioOn: true };

describe('StudioSync', () => {
  it('shares audio presence both ways and forgets a peer whose link closed', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const b = relay.join('B');
    a.setLocalAudio(audio);
    b.setLocalAudio({ audioPaths: ['track'], audioOn: false });
    const cut = link(a, 'A', b, 'B');
    expect(a.audioOf(b.clientId)).toEqual({ audioPaths: ['track'], audioOn: false });
    expect(b.audioOf(a.clientId)).toEqual(audio);
    expect(a.heard('B')).toBe(true);
    cut();
    expect(a.audioOf(b.clientId)).toBeNull();
    expect(a.heard('B')).toBe(false);
  });

  it('hears a peer’s unchanged presence again when its link re-forms', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const b = relay.join('B');
    b.setLocalAudio({ audioPaths: ['track'], audioOn: true });
    link(a, 'A', b, 'B')();
    expect(a.audioOf(b.clientId)).toBeNull();
    link(a, 'A', b, 'B'); // ICE gave up and the pair met again; B's presence did not change meanwhile
    expect(a.heard('B')).toBe(true);
    expect(a.audioOf(b.clientId)).toEqual({ audioPaths: ['track'], audioOn: true });
  });

  it('hostile: a relay clock reading no measurement could give is refused; the last good presence stays', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const b = relay.join('B');
    link(a, 'A', b, 'B');
    const honest = {
      audioPaths: ['data' as const],
      audioOn: true,
      relayClock: { offsetMs: 3.5, uncertaintyMs: 0.4 },
    };
    b.setLocalAudio(honest);
    expect(a.audioOf(b.clientId)).toEqual(honest);
    // A modified client states an offset of 30 years to move others' view of its clock at will.
    b.setLocalAudio({ ...honest, relayClock: { offsetMs: 1e12, uncertaintyMs: 0 } } as AudioPresence);
    expect(a.audioOf(b.clientId)).toEqual(honest);
  });

  it('repairs writes lost while the way to a peer changed, on resync', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const b = relay.join('B');
    // One sync attachment per peer whose sends may be lost (a message in flight on the path that closed).
    let lose = false;
    a.attach('B', { send: (bytes) => (lose ? true : (b.receive('A', bytes), true)) });
    b.attach('A', { send: (bytes) => (a.receive('B', bytes), true) });
    a.doc.getMap('mixes').set('x', 1);
    lose = true;
    a.doc.getMap('mixes').set('y', 2); // lost in the changeover
    lose = false;
    expect(b.doc.getMap('mixes').get('y')).toBeUndefined();
    b.resync('A'); // B asks A again: A's answer holds what B lacks
    expect(b.doc.getMap('mixes').toJSON()).toEqual({ x: 1, y: 2 });
    a.resync('nobody'); // not attached: nothing happens
  });

  it('tells peers it is gone on dispose', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const b = relay.join('B');
    a.setLocalAudio(audio);
    b.setLocalAudio(audio);
    link(a, 'A', b, 'B');
    b.dispose();
    b.dispose();
    expect(a.audioOf(b.clientId)).toBeNull();
  });

  it('converges the document and sends a large state to a newcomer in pieces', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const channels = a.doc.getMap('channels');
    for (let i = 0; i < 400; i++) channels.set(`user${i}:name`, 'x'.repeat(500)); // ~200 kB of state
    const b = relay.join('B');
    const wire: Wire = { sent: [] };
    link(a, 'A', b, 'B', wire);
    expect(b.doc.getMap('channels').size).toBe(400);
    expect(Math.max(...wire.sent.map((m) => m.length))).toBeLessThanOrEqual(SYNC_CHUNK_BYTES + 16);
    expect(wire.sent.length).toBeGreaterThan(10);
  });

  it('never relays a peer’s writes, and answers sync without other live peers’ writes', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const b = relay.join('B');
    const c = relay.join('C');
    link(a, 'A', b, 'B');
    const wire: Wire = { sent: [] };
    link(a, 'A', c, 'C', wire);
    b.doc.getMap('mixes').set('ub:monitor', -3);
    expect(a.doc.getMap('mixes').get('ub:monitor')).toBe(-3);
    expect(c.doc.getMap('mixes').get('ub:monitor')).toBeUndefined(); // C hears it from B directly
    link(b, 'B', c, 'C');
    expect(c.doc.getMap('mixes').get('ub:monitor')).toBe(-3);
  });

  it('leaves out of a sync answer every live participant’s writes, linked to us or not', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const c = relay.join('C');
    const cutAC = link(a, 'A', c, 'C');
    c.doc.getMap('mixes').set('uc:monitor', -3);
    cutAC(); // A's link to C broke (C is still in the room; the pair will meet again)
    const b = relay.join('B');
    const seen = problems(b);
    link(a, 'A', b, 'B');
    expect(seen).toEqual([]); // nothing B must refuse: C's writes reach B from C
    expect(b.doc.getMap('mixes').get('uc:monitor')).toBeUndefined();
    link(b, 'B', c, 'C');
    expect(b.doc.getMap('mixes').get('uc:monitor')).toBe(-3);
  });

  it('refuses writes forged under another live participant’s or our own client id', () => {
    const relay = createRelay();
    const victim = relay.join('V');
    const honest = relay.join('H');
    const mallory = relay.join('M');
    const seen = problems(honest);
    link(victim, 'V', honest, 'H');
    // Mallory's link to the honest peer: she controls what goes over it.
    honest.attach('M', { send: () => true });
    const mine = new Y.Doc();
    mine.clientID = mallory.clientId;
    mine.getMap('mixes').set('um:monitor', -1);
    const update = Y.mergeUpdates([
      Y.encodeStateAsUpdate(mine),
      forged(victim.clientId, 'uh:mute/uv', true),
      forged(honest.clientId, 'uh:master', -60),
    ]);
    honest.receive('M', updateMessage(update));
    const mixes = honest.doc.getMap('mixes');
    expect(mixes.get('um:monitor')).toBe(-1); // her own write counts
    expect(mixes.get('uh:mute/uv')).toBeUndefined();
    expect(mixes.get('uh:master')).toBeUndefined();
    expect(seen).toEqual(['M:refused-structs']);
    // The victim's real writes still arrive over the victim's own link.
    victim.doc.getMap('mixes').set('uv:monitor', -2);
    expect(mixes.get('uv:monitor')).toBe(-2);
  });

  it('accepts history of a participant who left from the peers who were there', () => {
    const relay = createRelay();
    const a = relay.join('A');
    const gone = relay.join('G');
    link(a, 'A', gone, 'G');
    gone.doc.getMap('mixes').set('ug:monitor', -4);
    relay.leave('G');
    const n = relay.join('N');
    link(a, 'A', n, 'N');
    expect(n.doc.getMap('mixes').get('ug:monitor')).toBe(-4);
    // A client id the relay never attested is not history: dropped.
    n.receive('A', updateMessage(forged(123456, 'ua:monitor', 0)));
    expect(n.doc.getMap('mixes').get('ua:monitor')).toBeUndefined();
  });

  it('refuses an oversized update and a 10 MB message in pieces, and keeps the link working', () => {
    const relay = createRelay();
    const honest = relay.join('H');
    const mallory = relay.join('M');
    const seen = problems(honest);
    honest.attach('M', { send: () => true });
    const big = new Y.Doc();
    big.clientID = mallory.clientId;
    big.getMap('mixes').set('um:name', 'x'.repeat(SYNC_MAX_UPDATE_BYTES + 1));
    honest.receive('M', updateMessage(Y.encodeStateAsUpdate(big)));
    expect(honest.doc.getMap('mixes').size).toBe(0);
    // 10 MB announced in pieces: refused at the first piece, the rest skipped without buffering.
    const pieces = splitMessage(new Uint8Array(10 * 1024 * 1024), 99);
    for (const piece of pieces) honest.receive('M', piece);
    expect(seen).toEqual(['M:too-large', 'M:too-large']);
    const small = new Y.Doc();
    small.clientID = mallory.clientId;
    small.getMap('mixes').set('um:monitor', -5);
    honest.receive('M', updateMessage(Y.encodeStateAsUpdate(small)));
    expect(honest.doc.getMap('mixes').get('um:monitor')).toBe(-5);
  });

  it('takes one sync answer per link beyond the update limit, not a stream of them', () => {
    const relay = createRelay();
    const honest = relay.join('H');
    const mallory = relay.join('M');
    const seen = problems(honest);
    honest.attach('M', { send: () => true });
    const step2 = (key: string) => {
      const doc = new Y.Doc();
      doc.clientID = mallory.clientId;
      doc.getMap('channels').set(key, 'x'.repeat(SYNC_MAX_UPDATE_BYTES));
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SyncTag.Doc);
      syncProtocol.writeSyncStep2(encoder, doc);
      return splitMessage(encoding.toUint8Array(encoder), 7);
    };
    for (const piece of step2('um:name')) honest.receive('M', piece); // the answer to our step 1
    expect(honest.doc.getMap('channels').has('um:name')).toBe(true);
    for (const piece of step2('um:instrument')) honest.receive('M', piece); // another, unasked
    expect(honest.doc.getMap('channels').has('um:instrument')).toBe(false);
    expect(seen).toEqual(['M:too-large']);
  });

  it('slows a peer flooding its own entries to the per-minute update budget', () => {
    let now = 0;
    const live = new Map([['M', 77]]);
    const honest = new StudioSync({
      authority: {
        clientOf: (peerId) => live.get(peerId),
        isLiveClient: (client) => client === 77,
        isKnownClient: (client) => client === 77,
      },
      now: () => now,
    });
    const seen = problems(honest);
    honest.attach('M', { send: () => true });
    const flood = new Y.Doc();
    flood.clientID = 77;
    const entries = flood.getMap('channels');
    const send = (i: number) => {
      const before = Y.encodeStateVector(flood);
      entries.set(`um:name${i}`, 'x'.repeat(60_000));
      honest.receive('M', updateMessage(Y.encodeStateAsUpdate(flood, before)));
    };
    for (let i = 0; i < 20; i++) send(i); // 1.2 MB at once: the last few are over the budget
    const accepted = honest.doc.getMap('channels').size;
    expect(accepted).toBeGreaterThanOrEqual(16);
    expect(accepted).toBeLessThan(20);
    expect(seen.filter((p) => p === 'M:too-large').length).toBe(20 - accepted);
    now += 60_000; // a minute later the budget is back (the write waits for the refused ones it follows)
    send(20);
    expect(seen.filter((p) => p === 'M:too-large').length).toBe(20 - accepted);
  });

  it('accepts presence only for the link’s own client, in the AudioPresence shape', () => {
    const relay = createRelay();
    const honest = relay.join('H');
    const victim = relay.join('V');
    const mallory = relay.join('M');
    const seen = problems(honest);
    honest.attach('M', { send: () => true });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Awareness);
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, 2);
    encoding.writeVarUint(inner, victim.clientId);
    encoding.writeVarUint(inner, 1);
    encoding.writeVarString(inner, JSON.stringify({ audioPaths: ['data'], audioOn: false }));
    encoding.writeVarUint(inner, mallory.clientId);
    encoding.writeVarUint(inner, 1);
    encoding.writeVarString(inner, JSON.stringify({ audioPaths: ['data'], audioOn: true, role: 'owner' }));
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
    honest.receive('M', encoding.toUint8Array(encoder));
    expect(honest.audioOf(victim.clientId)).toBeNull();
    expect(honest.audioOf(mallory.clientId)).toMatchObject({ audioOn: true });
    expect(seen).toEqual(['M:refused-structs']);
  });

  it('reports a send that throws (a full channel buffer) as send-failed, and throws nothing', () => {
    const relay = createRelay();
    const a = relay.join('A');
    relay.join('B');
    const seen = problems(a);
    const full = {
      send: (): boolean => {
        throw new DOMException('RTCDataChannel send queue is full', 'OperationError');
      },
    };
    expect(() => a.attach('B', full)).not.toThrow();
    expect(() => a.doc.getMap('mixes').set('ua:monitor', -1)).not.toThrow();
    expect(seen).toEqual(['B:send-failed', 'B:send-failed']);
  });

  it('reports undecodable messages and links the relay does not attest', () => {
    const relay = createRelay();
    const honest = relay.join('H');
    relay.join('M');
    const seen = problems(honest);
    honest.attach('X', { send: () => true }); // not in the relay's roster
    honest.attach('M', { send: () => true });
    honest.receive('M', new Uint8Array([0, 9, 9]));
    honest.receive('M', new Uint8Array([7]));
    expect(seen).toEqual(['X:unattested-link', 'M:malformed', 'M:malformed']);
  });
});
