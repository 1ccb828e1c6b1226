import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MESH_SIGNAL_VERSION, type PeerSignal } from '../protocol/mesh-signal';
import { Emitter } from '../util/emitter';
import { Mesh, type MeshLink } from './mesh';
import type { PeerLinkEvents } from './peer-link';

/** A fake link: an offer opens the answering end, the answer opens the initiator. */
class FakeLink implements MeshLink {
  readonly events = new Emitter<PeerLinkEvents>();
  closed: string | null = null;
  constructor(
    readonly remoteId: string,
    readonly initiator: boolean,
    readonly sendSignal: (signal: PeerSignal) => void,
  ) {}
  handleSignal(signal: PeerSignal): void {
    if (this.closed !== null) return;
    if (signal.kind === 'description' && signal.description.type === 'offer') {
      this.sendSignal({ kind: 'description', description: { type: 'answer', sdp: 'a' } });
      this.events.emit('open', undefined);
    } else if (signal.kind === 'description' && signal.description.type === 'answer') {
      this.events.emit('open', undefined);
    }
  }
  close(reason = 'closed'): void {
    if (this.closed !== null) return;
    this.closed = reason;
    this.events.emit('close', { reason });
  }
}

const offer: PeerSignal = { kind: 'description', description: { type: 'offer', sdp: 'o' } };
const signal = (s: PeerSignal) => ({ type: 'signal', v: MESH_SIGNAL_VERSION, signal: s });

/**
 * An in-memory relay: it routes a targeted publish to its recipient only and stamps the sender, as
 * signaling v2 does; membership changes reach every mesh as the relay's roster events would.
 */
function createRoom(options: { silent?: Set<string>; down?: Set<string> } = {}) {
  const meshes = new Map<string, Mesh>();
  const links = new Map<string, FakeLink[]>();
  const queue: Array<{ from: string; to: string; data: unknown }> = [];
  const flush = () => {
    for (let guard = 0; queue.length > 0 && guard < 10_000; guard++) {
      const { from, to, data } = queue.shift()!;
      meshes.get(to)?.handle(from, data);
    }
  };
  const join = (id: string) => {
    const mesh = new Mesh({
      signaling: {
        publish: (data, to) => {
          if (options.down?.has(id)) return false; // not subscribed: the relay connection is down
          if (to !== undefined && !options.silent?.has(id)) queue.push({ from: id, to, data });
          return true;
        },
      },
      createLink: ({ remoteId, initiator, sendSignal }) => {
        const link = new FakeLink(remoteId, initiator, sendSignal);
        links.set(id, [...(links.get(id) ?? []), link]);
        if (initiator) queueMicrotask(() => sendSignal(offer));
        return link;
      },
      connectTimeoutMs: 5_000,
      retryDelayMs: 1_000,
    });
    for (const other of meshes.values()) other.join(id);
    mesh.reset(id, [...meshes.keys()]);
    meshes.set(id, mesh);
    return mesh;
  };
  const leave = (id: string) => {
    meshes.get(id)?.dispose();
    meshes.delete(id);
    for (const other of meshes.values()) other.leave(id, 'left');
  };
  return { join, leave, flush, links, meshes };
}

const settle = async (flush: () => void) => {
  for (let i = 0; i < 5; i++) {
    await vi.advanceTimersByTimeAsync(0);
    flush();
  }
};

describe('Mesh', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

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

  it('tears down a peer the relay says left, and reports it once', async () => {
    const room = createRoom();
    const a = room.join('peer-aaaaaa');
    const b = room.join('peer-bbbbbb');
    room.join('peer-cccccc');
    await settle(room.flush);
    const closes: string[] = [];
    a.events.on('peer-close', ({ peerId, reason }) => closes.push(`${peerId}:${reason}`));
    room.leave('peer-cccccc');
    expect(closes).toEqual(['peer-cccccc:left']);
    expect(a.peers).toEqual(['peer-bbbbbb']);
    expect(b.peers).toEqual(['peer-aaaaaa']);
  });

  it('re-forms a pair whose link broke while both are still in the room', async () => {
    const room = createRoom();
    const a = room.join('peer-aaaaaa');
    const b = room.join('peer-bbbbbb');
    await settle(room.flush);
    room.links.get('peer-bbbbbb')![0]!.close('connection failed');
    room.links.get('peer-aaaaaa')![0]!.close('connection failed');
    await vi.advanceTimersByTimeAsync(1_000);
    await settle(room.flush);
    expect(a.peers).toEqual(['peer-bbbbbb']);
    expect(b.peers).toEqual(['peer-aaaaaa']);
    expect(room.links.get('peer-aaaaaa')).toHaveLength(2); // a new link, made by the smaller id again
    expect(room.links.get('peer-aaaaaa')![1]!.initiator).toBe(true);
  });

  it('believes only peers the relay lists: signals from anyone else open nothing', () => {
    const created: string[] = [];
    const mesh = new Mesh({
      signaling: { publish: () => true },
      createLink: ({ remoteId, initiator, sendSignal }) => {
        created.push(remoteId);
        return new FakeLink(remoteId, initiator, sendSignal);
      },
    });
    mesh.reset('peer-zzzzzz', ['peer-mmmmmm']);
    mesh.handle('peer-stranger', signal(offer)); // not in the room
    mesh.handle('peer-mmmmmm', 'nonsense');
    mesh.handle('peer-mmmmmm', { type: 'announce', v: 1, from: 'peer-mmmmmm' }); // v1 announce: gone
    mesh.handle('peer-mmmmmm', signal({ kind: 'candidate', candidate: null })); // no link to feed
    expect(created).toEqual([]);
    mesh.handle('peer-mmmmmm', signal(offer));
    expect(created).toEqual(['peer-mmmmmm']);
    mesh.dispose();
  });

  it('does not let the peer that should answer open the link with an offer (no glare, no hijack)', () => {
    const created: Array<{ id: string; initiator: boolean }> = [];
    const mesh = new Mesh({
      signaling: { publish: () => true },
      createLink: ({ remoteId, initiator, sendSignal }) => {
        created.push({ id: remoteId, initiator });
        return new FakeLink(remoteId, initiator, sendSignal);
      },
    });
    mesh.reset('peer-aaaaaa', ['peer-bbbbbb']);
    expect(created).toEqual([{ id: 'peer-bbbbbb', initiator: true }]);
    mesh.leave('peer-bbbbbb', 'left');
    mesh.handle('peer-bbbbbb', signal(offer)); // gone: ignored
    expect(created).toHaveLength(1);
    mesh.dispose();
  });

  it('closes a link that never opens, frees it, and lets the initiator try again', async () => {
    const room = createRoom({ silent: new Set(['peer-bbbbbb']) }); // b never answers
    const a = room.join('peer-aaaaaa');
    room.join('peer-bbbbbb');
    const timeouts: string[] = [];
    a.events.on('link-timeout', ({ peerId }) => timeouts.push(peerId));
    const failed: string[] = [];
    a.events.on('link-failed', ({ peerId, reason }) => failed.push(`${peerId}:${reason}`));
    await settle(room.flush);
    const first = room.links.get('peer-aaaaaa')![0]!;
    expect(first.closed).toBeNull();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(first.closed).toBe('connect-timeout');
    expect(timeouts).toEqual(['peer-bbbbbb']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(room.links.get('peer-aaaaaa')).toHaveLength(2);
    // A retry that ICE gives up on before the timeout is reported as failed.
    room.links.get('peer-aaaaaa')![1]!.close('connection failed');
    expect(failed).toEqual(['peer-bbbbbb:connect-timeout', 'peer-bbbbbb:connection failed']);
    a.dispose();
  });

  it('starts again a link whose signals were lost while the relay connection was down', async () => {
    const down = new Set<string>();
    const room = createRoom({ down });
    const a = room.join('peer-aaaaaa');
    room.join('peer-bbbbbb');
    await settle(room.flush);
    // The relay connection drops, the pair's link breaks meanwhile, and the retry's offer is lost.
    down.add('peer-aaaaaa');
    room.links.get('peer-aaaaaa')![0]!.close('ice-failed');
    room.links.get('peer-bbbbbb')![0]!.close('ice-failed');
    await vi.advanceTimersByTimeAsync(1_000);
    await settle(room.flush);
    const lost = room.links.get('peer-aaaaaa')![1]!;
    expect(a.peers).toEqual([]);
    // The relay re-admits us under the same id (resume), with b still there: no waiting for a timeout.
    down.delete('peer-aaaaaa');
    a.reset('peer-aaaaaa', ['peer-bbbbbb']);
    await settle(room.flush);
    expect(lost.closed).toBe('signal-lost');
    expect(a.peers).toEqual(['peer-bbbbbb']);
    a.dispose();
  });

  it('switched off, holds no links and opens none, not even on an offer; switched on, the pairs form again', async () => {
    const room = createRoom();
    const a = room.join('peer-aaaaaa');
    const b = room.join('peer-bbbbbb');
    await settle(room.flush);
    const closes: string[] = [];
    b.events.on('peer-close', ({ peerId, reason }) => closes.push(`${peerId}:${reason}`));
    b.setActive(false, 'sfu');
    expect(closes).toEqual(['peer-aaaaaa:sfu']);
    expect(b.active).toBe(false);
    await settle(room.flush);
    // a's end closed too (in a browser SCTP tells it); its retry offers reach a mesh that is off.
    room.links.get('peer-aaaaaa')![0]!.close('channel closed');
    await vi.advanceTimersByTimeAsync(1_000);
    await settle(room.flush);
    expect(room.links.get('peer-aaaaaa')).toHaveLength(2);
    expect(room.links.get('peer-bbbbbb')).toHaveLength(1); // b opened nothing
    expect(b.isOpen('peer-aaaaaa')).toBe(false);
    a.setActive(false);
    expect(room.links.get('peer-aaaaaa')![1]!.closed).toBe('inactive');
    room.join('peer-cccccc').setActive(false); // a newcomer while the mesh is off: tracked, not linked
    await vi.advanceTimersByTimeAsync(60_000);
    await settle(room.flush);
    expect(room.links.get('peer-aaaaaa')).toHaveLength(2); // no retries while off
    a.setActive(true);
    b.setActive(true);
    room.meshes.get('peer-cccccc')!.setActive(true);
    await settle(room.flush);
    expect(a.peers.sort()).toEqual(['peer-bbbbbb', 'peer-cccccc']);
    expect(b.isOpen('peer-aaaaaa')).toBe(true);
    expect(b.peers.sort()).toEqual(['peer-aaaaaa', 'peer-cccccc']);
  });

  it('closes links made under an old local id when the relay admits us under a new one', async () => {
    const room = createRoom();
    const a = room.join('peer-aaaaaa');
    room.join('peer-bbbbbb');
    await settle(room.flush);
    const old = room.links.get('peer-aaaaaa')![0]!;
    a.reset('peer-aaaaab', ['peer-bbbbbb']);
    expect(old.closed).toBe('rejoined');
    expect(room.links.get('peer-aaaaaa')).toHaveLength(2);
    a.dispose();
    expect(room.links.get('peer-aaaaaa')![1]!.closed).toBe('leaving');
  });
});
