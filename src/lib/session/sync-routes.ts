/**
 * The way Yjs sync and presence take to each peer: its direct link's reliable channel when that is
 * open, else the relay (net/relay-link.ts). StudioSync sees one link per peer for the whole visit, so
 * presence does not flicker while the room changes between mesh and SFU, or while a broken pair
 * re-forms. Both ways carry the peer's own messages only (the mesh link is the relay-attested pair;
 * a relay message carries the relay's `from`), so StudioSync's trust rule is unchanged.
 *
 * A peer is attached when its direct link opens, or when it may need the relay (`useRelay`: the room
 * is on the SFU, the pair cannot connect, or it already sync'ed with us through the relay). Whenever
 * the way changes, both sides ask each other again for what they lack (`resync`), which repairs a
 * message lost in flight on the way that closed.
 */
import type { SyncPeer } from '../sync/studio-sync';

export interface SyncRoutesSync {
  attach(peerId: string, peer: SyncPeer): void;
  detach(peerId: string): void;
  resync(peerId: string): void;
}

export interface SyncRoutesRelay {
  link(peerId: string): SyncPeer;
  close(peerId: string): void;
}

export type SyncVia = 'direct' | 'relay';

interface Route {
  direct: SyncPeer | null;
  attached: boolean;
  via: SyncVia;
}

export class SyncRoutes {
  readonly #sync: SyncRoutesSync;
  readonly #relay: SyncRoutesRelay;
  readonly #routes = new Map<string, Route>();
  #disposed = false;

  constructor(options: { sync: SyncRoutesSync; relay: SyncRoutesRelay }) {
    this.#sync = options.sync;
    this.#relay = options.relay;
  }

  /** The way sync takes to `peerId` now; null while it is not attached. */
  viaOf(peerId: string): SyncVia | null {
    const route = this.#routes.get(peerId);
    return route?.attached ? route.via : null;
  }

  /** The peer's direct link opened (`link`) or closed (null). */
  setDirect(peerId: string, link: SyncPeer | null): void {
    if (this.#disposed) return;
    const route = this.#route(peerId);
    route.direct = link;
    if (link) this.#attach(peerId, route);
    else this.#changed(peerId, route);
  }

  /** The pair may need the relay: sync through it now if no direct link carries it. */
  useRelay(peerId: string): void {
    if (this.#disposed) return;
    this.#attach(peerId, this.#route(peerId));
  }

  /** The peer left the room. */
  remove(peerId: string): void {
    const route = this.#routes.get(peerId);
    if (!route) return;
    this.#routes.delete(peerId);
    this.#relay.close(peerId);
    if (route.attached) this.#sync.detach(peerId);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const peerId of [...this.#routes.keys()]) this.remove(peerId);
  }

  #route(peerId: string): Route {
    let route = this.#routes.get(peerId);
    if (!route) this.#routes.set(peerId, (route = { direct: null, attached: false, via: 'relay' }));
    return route;
  }

  #attach(peerId: string, route: Route): void {
    if (route.attached) {
      this.#changed(peerId, route);
      return;
    }
    route.attached = true;
    route.via = route.direct ? 'direct' : 'relay';
    const relay = this.#relay.link(peerId);
    this.#sync.attach(peerId, {
      // A direct channel that refuses (closing, buffer full) hands the message to the relay.
      send: (bytes) => (route.direct?.send(bytes) ?? false) || relay.send(bytes),
    });
  }

  #changed(peerId: string, route: Route): void {
    const via: SyncVia = route.direct ? 'direct' : 'relay';
    if (!route.attached || via === route.via) return;
    route.via = via;
    this.#sync.resync(peerId);
  }
}
