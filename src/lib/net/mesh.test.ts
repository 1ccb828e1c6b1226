import { describe, expect, it } from 'vitest';
import type { PeerSignal } from '../protocol/mesh-signal';
import { Emitter } from '../util/emitter';
import { Mesh, type MeshLink } from './mesh';
import type { PeerLinkEvents } from './peer-link';

/** A fake link pair: an offer from the initiator opens both ends; `close` on one closes the other. */
class FakeLink implements MeshLink {
  readonly events = new Emitter<PeerLinkEvents>();
  closed = false;
  constructor(
    readonly remoteId: string,
    readonly initiator: boolean,
    readonly sendSignal: (signal: PeerSignal) => void,
  ) {}
  handleSignal(signal: PeerSignal): void {
    if (signal.kind === 'description' && signal.description.type === 'offer') {
      this.sendSignal({ kind: 'description', description: { type: 'answer', sdp: 'a' } });
      this.events.emit('open', undefined);
    } else if (signal.kind === 'description' && signal.description.type === 'answer') {
      this.events.emit('open', undefined);
    }
  }
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.events.emit('close', { reason });
  }
}

/** An in-memory studio topic: every publish reaches every member, the sender included (like the relay). */
function createRoom() {
  const meshes: Mesh[] = [];
  const links = new Map<string, FakeLink[]>();
  const queue: unknown[] = [];
  let flushing = false;
  const flush = () => {
    if (flushing) return;
    flushing = true;
    for (let guard = 0; queue.length > 0 && guard < 10_000; guard++) {
      const data = queue.shift();
      for (const mesh of [...meshes]) mesh.handle(data);
    }
    flushing = false;
  };
  const join = (id: string) => {
    const mesh = new Mesh({
      localId: id,
      signaling: { publish: (data) => (queue.push(data), true) },
      createLink: ({ remoteId, initiator, sendSignal }) => {
        const link = new FakeLink(remoteId, initiator, sendSignal);
        links.set(id, [...(links.get(id) ?? []), link]);
        if (initiator)
          queueMicrotask(() => sendSignal({ kind: 'description', description: { type: 'offer' } }));
        return link;
      },
    });
    meshes.push(mesh);
    mesh.announce();
    flush();
    return mesh;
  };
  const leave = (mesh: Mesh) => {
    meshes.splice(meshes.indexOf(mesh), 1);
    mesh.dispose();
    flush();
  };
  return { join, leave, flush, links };
}

const settle = async (flush: () => void) => {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
    flush();
  }
};

describe('Mesh', () => {
  it('forms a full mesh where only the smaller id of each pair initiates', async () => {
    const room = createRoom();
    const ids = ['peer-cccccc', 'peer-aaaaaa', 'peer-bbbbbb'];
    const meshes = ids.map((id) => room.join(id));
    await settle(room.flush);
    for (const mesh of meshes) {
      expect(mesh.peers.sort()).toEqual(ids.filter((id) => id !== mesh.localId).sort());
    }
    for (const [owner, links] of room.links) {
      for (const link of links) expect(link.initiator).toBe(owner < link.remoteId);
    }
    expect([...room.links.values()].flat()).toHaveLength(6); // 3 pairs, two ends each: no duplicates
  });

  it('tears a leaving peer down on every other peer and reports it once', async () => {
    const room = createRoom();
    const a = room.join('peer-aaaaaa');
    const b = room.join('peer-bbbbbb');
    const c = room.join('peer-cccccc');
    await settle(room.flush);
    const closes: string[] = [];
    a.events.on('peer-close', ({ peerId, reason }) => closes.push(`${peerId}:${reason}`));
    room.leave(c);
    expect(closes).toEqual(['peer-cccccc:left']);
    expect(a.peers).toEqual(['peer-bbbbbb']);
    expect(b.peers).toEqual(['peer-aaaaaa']);
  });

  it('re-forms a pair whose link broke without a goodbye', async () => {
    const room = createRoom();
    const a = room.join('peer-aaaaaa');
    const b = room.join('peer-bbbbbb');
    await settle(room.flush);
    // ICE gave up: both ends see their link fail, neither said goodbye.
    room.links.get('peer-bbbbbb')![0]!.close('connection failed');
    room.links.get('peer-aaaaaa')![0]!.close('connection failed');
    await settle(room.flush);
    expect(a.peers).toEqual(['peer-bbbbbb']);
    expect(b.peers).toEqual(['peer-aaaaaa']);
    expect(room.links.get('peer-aaaaaa')).toHaveLength(2); // a new link, made by the smaller id again
    expect(room.links.get('peer-aaaaaa')![1]!.initiator).toBe(true);
  });

  it('ignores malformed signals, its own echoes, and candidates for unknown peers', () => {
    const created: string[] = [];
    const mesh = new Mesh({
      localId: 'peer-aaaaaa',
      signaling: { publish: () => true },
      createLink: ({ remoteId, initiator, sendSignal }) => {
        created.push(remoteId);
        return new FakeLink(remoteId, initiator, sendSignal);
      },
    });
    mesh.handle('nonsense');
    mesh.handle({ type: 'announce', v: 1, from: 'peer-aaaaaa' });
    mesh.handle({ type: 'announce', v: 99, from: 'peer-zzzzzz' });
    mesh.handle({
      type: 'signal',
      v: 1,
      from: 'peer-zzzzzz',
      to: 'peer-aaaaaa',
      signal: { kind: 'candidate', candidate: null },
    });
    mesh.handle({ type: 'announce', v: 1, from: 'peer-zzzzzz', to: 'peer-someone' });
    expect(created).toEqual([]);
  });
});
