import { describe, expect, it } from 'vitest';
import type { Presence } from './presence';
import { StudioSync } from './studio-sync';

function presence(name: string, joinedAt: number): Presence {
  return {
    peerId: `peer-${name}-0000`,
    userId: `u${name}`,
    name,
    instrument: 'bass',
    role: 'member',
    joinedAt,
  };
}

/**
 * Connects two syncs with an in-memory, in-order link, like an open reliable data channel: messages
 * are queued and delivered once both ends are attached (a channel delivers nothing before `open`).
 */
function link(a: StudioSync, aId: string, b: StudioSync, bId: string) {
  let open = false;
  const queue: Array<() => void> = [];
  const deliver = (run: () => void) => {
    queue.push(run);
    while (open && queue.length > 0) queue.shift()!();
    return true;
  };
  a.attach(bId, { send: (bytes) => deliver(() => b.receive(aId, bytes)) });
  b.attach(aId, { send: (bytes) => deliver(() => a.receive(bId, bytes)) });
  open = true;
  deliver(() => undefined);
  return () => {
    open = false;
    a.detach(bId);
    b.detach(aId);
  };
}

describe('StudioSync', () => {
  it('shares presence both ways and forgets a peer whose link closed', () => {
    const a = new StudioSync();
    const b = new StudioSync();
    a.setLocalPresence(presence('ann', 1));
    b.setLocalPresence(presence('bob', 2));
    const cut = link(a, 'A', b, 'B');
    expect(a.presence().map((p) => [p.name, p.self])).toEqual([
      ['ann', true],
      ['bob', false],
    ]);
    expect(b.presence().map((p) => p.name)).toEqual(['ann', 'bob']);

    const seen: string[][] = [];
    a.events.on('presence', (list) => seen.push(list.map((p) => p.name)));
    cut();
    expect(a.presence().map((p) => p.name)).toEqual(['ann']);
    expect(seen.at(-1)).toEqual(['ann']);
  });

  it('announces its departure on dispose', () => {
    const a = new StudioSync();
    const b = new StudioSync();
    a.setLocalPresence(presence('ann', 1));
    b.setLocalPresence(presence('bob', 2));
    link(a, 'A', b, 'B');
    b.dispose();
    expect(a.presence().map((p) => p.name)).toEqual(['ann']);
    b.dispose(); // idempotent
  });

  it('converges document edits made before and after connecting, in a chain of three', () => {
    const [a, b, c] = [new StudioSync(), new StudioSync(), new StudioSync()];
    a.doc.getMap('settings').set('tempo', 96);
    link(a, 'A', b, 'B');
    link(b, 'B', c, 'C'); // no A–C link: B forwards
    c.doc.getMap('settings').set('key', 'E minor');
    for (const s of [a, b, c]) {
      expect(s.doc.getMap('settings').toJSON()).toEqual({ tempo: 96, key: 'E minor' });
    }
  });

  it('drops and reports malformed messages without losing state, and ignores malformed presence', () => {
    const a = new StudioSync();
    const bad: string[] = [];
    a.events.on('bad-message', ({ peerId }) => bad.push(peerId));
    a.attach('X', { send: () => true });
    a.receive('X', new Uint8Array([7, 1, 2])); // unknown tag
    a.receive('X', new Uint8Array([0, 9])); // unknown sync message
    a.receive('X', new Uint8Array([1, 50, 1])); // truncated awareness update
    a.receive('nobody', new Uint8Array([0]));
    expect(bad).toEqual(['X', 'X', 'X']);

    const b = new StudioSync();
    b.doc.getMap('m').set('k', 1);
    link(a, 'A', b, 'B');
    // A peer that shares a state of the wrong shape is not listed as present.
    b.setLocalPresence({ name: 42 } as unknown as Presence);
    expect(a.presence()).toEqual([]);
    expect(a.doc.getMap('m').get('k')).toBe(1);
  });
});
