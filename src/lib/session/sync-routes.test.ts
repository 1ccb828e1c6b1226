import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelaySync } from '../net/relay-link';
import { StudioSync, type SyncAuthority } from '../sync/studio-sync';
import { SyncRoutes } from './sync-routes';

/**
 * Two players, each with a real StudioSync, SyncRoutes and RelaySync; an in-memory relay that
 * stamps the sender on every publish (as signaling v2 does), and a direct link that can open and close.
 */
function createPair() {
  const live = new Map<string, number>();
  const authority: SyncAuthority = {
    clientOf: (peerId) => live.get(peerId),
    isLiveClient: (client) => [...live.values()].includes(client),
    isKnownClient: (client) => [...live.values()].includes(client),
  };
  const ids = ['peer-a', 'peer-b'] as const;
  const players = new Map<
    string,
    { sync: StudioSync; routes: SyncRoutes; relay: RelaySync; publishes: number }
  >();
  for (const id of ids) {
    const other = id === 'peer-a' ? 'peer-b' : 'peer-a';
    const sync = new StudioSync({ authority });
    live.set(id, sync.clientId);
    const relay = new RelaySync({
      publish: (data, to) => {
        if (to !== undefined && to !== other) return true;
        player.publishes += 1;
        // Delivered on a later task, like a WebSocket message; `from` is who sent it.
        setTimeout(() => players.get(other)!.relay.handle(id, JSON.parse(JSON.stringify(data))), 1);
        return true;
      },
      audience: () => 1,
      flushMs: 20,
    });
    const routes = new SyncRoutes({ sync, relay });
    const player = { sync, routes, relay, publishes: 0 };
    relay.events.on('message', ({ peerId, bytes }) => {
      routes.useRelay(peerId); // a peer that sync'ed with us through the relay
      sync.receive(peerId, bytes);
    });
    players.set(id, player);
  }
  let directOpen = false;
  /** Sends "succeed" but never arrive: messages in flight when a channel breaks. */
  const lossy = { on: false };
  const direct = (from: string, to: string) => ({
    send: (bytes: Uint8Array) => {
      if (!directOpen) return false;
      if (!lossy.on) players.get(to)!.sync.receive(from, bytes);
      return true;
    },
  });
  const openDirect = () => {
    directOpen = true;
    players.get('peer-a')!.routes.setDirect('peer-b', direct('peer-a', 'peer-b'));
    players.get('peer-b')!.routes.setDirect('peer-a', direct('peer-b', 'peer-a'));
  };
  const closeDirect = () => {
    directOpen = false;
    players.get('peer-a')!.routes.setDirect('peer-b', null);
    players.get('peer-b')!.routes.setDirect('peer-a', null);
  };
  return { a: players.get('peer-a')!, b: players.get('peer-b')!, openDirect, closeDirect, lossy };
}

const settle = () => vi.advanceTimersByTimeAsync(200);
const audio = { audioPaths: ['data' as const], audioOn: true };

describe('SyncRoutes', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('syncs through the relay when there is no direct link, and the other side joins in on the first message', async () => {
    const { a, b } = createPair();
    a.sync.setLocalAudio(audio);
    b.sync.setLocalAudio({ audioPaths: ['data'], audioOn: false });
    a.sync.doc.getMap('mixes').set('before', 1);
    a.routes.useRelay('peer-b'); // the room is on the SFU
    await settle();
    expect(b.routes.viaOf('peer-a')).toBe('relay');
    expect(b.sync.doc.getMap('mixes').get('before')).toBe(1);
    expect(a.sync.heard('peer-b')).toBe(true);
    expect(b.sync.audioOf(a.sync.clientId)).toEqual(audio);
    b.sync.doc.getMap('mixes').set('reply', 2);
    await settle();
    expect(a.sync.doc.getMap('mixes').get('reply')).toBe(2);
  });

  it('moves to the direct link when it opens and back to the relay when it closes, presence never lost', async () => {
    const { a, b, openDirect, closeDirect, lossy } = createPair();
    a.sync.setLocalAudio(audio);
    b.sync.setLocalAudio(audio);
    a.routes.useRelay('peer-b');
    await settle();
    openDirect();
    expect(a.routes.viaOf('peer-b')).toBe('direct');
    const relayed = a.publishes;
    a.sync.doc.getMap('mixes').set('direct', 1);
    expect(b.sync.doc.getMap('mixes').get('direct')).toBe(1); // synchronously: the direct link
    await settle();
    expect(a.publishes).toBe(relayed);
    // An update sent on the direct link just as it breaks is lost; the resync repairs it.
    lossy.on = true;
    a.sync.doc.getMap('mixes').set('after', 2);
    closeDirect();
    expect(b.sync.doc.getMap('mixes').get('after')).toBeUndefined();
    await settle();
    expect(a.routes.viaOf('peer-b')).toBe('relay');
    expect(b.sync.doc.getMap('mixes').get('after')).toBe(2);
    expect(a.sync.heard('peer-b')).toBe(true);
    expect(b.sync.heard('peer-a')).toBe(true);
  });

  it('attaches on a direct link alone (a mesh room), and detaches once when the peer leaves', async () => {
    const { a, b, openDirect } = createPair();
    b.sync.setLocalAudio(audio);
    expect(a.routes.viaOf('peer-b')).toBeNull();
    openDirect();
    expect(a.sync.heard('peer-b')).toBe(true);
    expect(a.publishes + b.publishes).toBe(0); // nothing went through the relay
    a.routes.remove('peer-b');
    a.routes.remove('peer-b');
    expect(a.sync.heard('peer-b')).toBe(false);
    expect(a.routes.viaOf('peer-b')).toBeNull();
    a.routes.dispose();
    a.routes.useRelay('peer-b'); // after dispose: nothing
    expect(a.routes.viaOf('peer-b')).toBeNull();
  });
});
