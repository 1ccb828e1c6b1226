/**
 * Which way this player's audio goes, following the relay's `room-route` (protocol/sfu.ts), and the
 * changeover between the two without a dropout.
 *
 * - `sfu`: open the SFU link, tell the Worker the relay's source indexes and send our frames up as
 *   well; the mesh keeps running until every source we hear arrives through the SFU too (the Worker
 *   drops duplicates by sequence number, so both paths feed one decoder), then the mesh is switched
 *   off: no links at all while the room is on the SFU (our frames would otherwise still go to every
 *   pair, and a room above the mesh limit must not hold N² connections). A player who joins a room
 *   already on the SFU never forms the mesh.
 * - `mesh`: switch the mesh on; the SFU keeps running until every source we hear arrives over a
 *   direct link too, then we stop sending to the SFU and close its link after a grace (the others'
 *   frames still in flight through it). A source that never arrives directly keeps the SFU running
 *   (the session then asks the relay for the SFU: route-requests.ts).
 *
 * "Arrives" is judged from the Worker's once-a-second stats per source: frames through the SFU
 * (`sfuFrames`) and the rest (`framesReceived - sfuFrames`), counted since the previous sample. A
 * source that sent nothing in a sample (audio off) is not waited for.
 */
import type { RoomMode, SfuSource } from '../protocol/sfu';
import { Emitter } from '../util/emitter';

export type RoutePhase = 'waiting' | 'mesh' | 'to-sfu' | 'sfu' | 'to-mesh';

export interface RoomRouteEvents extends Record<string, unknown> {
  phase: RoutePhase;
}

export interface RouteCounters {
  sourceKey: string;
  framesReceived: number;
  sfuFrames: number;
}

/** Frames that arrived from one source in the last sample, by path. */
export interface PathDeltas {
  sfu: number;
  direct: number;
}

export interface RoomRouteOptions {
  mesh: { setActive(active: boolean, reason?: string): void; readonly active: boolean };
  /** Opens the SFU link (idempotent) and closes it (idempotent). */
  sfu: { open(): void; close(): void };
  audio: {
    setSfuSources(sources: Array<{ index: number; sourceKey: string }>): void;
    setSfuSending(enabled: boolean): void;
  };
  /** After subscribing, the mesh forms anyway if no `room-route` came this soon (a relay without one). */
  routeWaitMs?: number;
  /** How long the SFU link stays after we stopped sending to it (default 2 s). */
  closeGraceMs?: number;
  /**
   * Keep the SFU link open, idle, once the room is back on the mesh (no frames either way; the relay
   * forwards nothing to it): the next switch to the SFU then needs no new connection, whose setup
   * (ICE, DTLS, SCTP in both browsers and the relay) coincided with most of the gaps seen in switches.
   */
  keepSfuLink?: boolean;
  /** The mesh is switched off after this long on the way to the SFU even if some source never arrived through it. */
  maxOverlapMs?: number;
}

export class RoomRoute {
  readonly events = new Emitter<RoomRouteEvents>();
  readonly #options: RoomRouteOptions;
  #phase: RoutePhase = 'waiting';
  #mode: RoomMode | null = null;
  #previous = new Map<string, { sfu: number; direct: number }>();
  #deltas = new Map<string, PathDeltas>();
  /** Samples seen since the current changeover began (the first one only sets the baseline). */
  #samples = 0;
  #waitTimer: ReturnType<typeof setTimeout> | null = null;
  #closeTimer: ReturnType<typeof setTimeout> | null = null;
  #overlapTimer: ReturnType<typeof setTimeout> | null = null;
  #sfuOpen = false;
  #disposed = false;

  constructor(options: RoomRouteOptions) {
    this.#options = options;
  }

  get phase(): RoutePhase {
    return this.#phase;
  }

  /** The relay's latest mode, or null before the first `room-route`. */
  get mode(): RoomMode | null {
    return this.#mode;
  }

  /** Whether the SFU link is (being) kept open. */
  get sfuOpen(): boolean {
    return this.#sfuOpen;
  }

  /** Frames from `sourceKey` in the latest stats sample, by path; null before two samples. */
  deltasOf(sourceKey: string): PathDeltas | null {
    return this.#deltas.get(sourceKey) ?? null;
  }

  /** We were (re)admitted to the room: the relay sends `room-route` next. */
  subscribed(): void {
    if (this.#disposed || this.#mode !== null || this.#waitTimer) return;
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = null;
      if (this.#mode === null) this.route({ mode: 'mesh', sources: [] });
    }, this.#options.routeWaitMs ?? 2000);
  }

  route(route: { mode: RoomMode; sources: readonly SfuSource[] }): void {
    if (this.#disposed) return;
    this.#clearWait();
    this.#options.audio.setSfuSources(route.sources.map((s) => ({ index: s.index, sourceKey: s.peerId })));
    this.#mode = route.mode;
    if (route.mode === 'sfu') this.#toSfu();
    else this.#toMesh();
  }

  /** The Worker's per-source counters (once a second). */
  stats(sources: readonly RouteCounters[]): void {
    if (this.#disposed) return;
    const next = new Map<string, { sfu: number; direct: number }>();
    const deltas = new Map<string, PathDeltas>();
    for (const s of sources) {
      const now = { sfu: s.sfuFrames, direct: s.framesReceived - s.sfuFrames };
      next.set(s.sourceKey, now);
      const before = this.#previous.get(s.sourceKey);
      if (before) {
        deltas.set(s.sourceKey, {
          sfu: Math.max(0, now.sfu - before.sfu),
          direct: Math.max(0, now.direct - before.direct),
        });
      }
    }
    this.#previous = next;
    this.#deltas = deltas;
    this.#samples += 1;
    if (this.#phase === 'to-sfu' && this.#samples > 1 && this.#allArrive('sfu')) this.#sfuReached();
    else if (this.#phase === 'to-mesh' && this.#samples > 1 && this.#allArrive('direct')) this.#meshReached();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#clearWait();
    this.#clearOverlap();
    this.#clearClose();
    this.events.clear();
  }

  #toSfu(): void {
    if (this.#phase === 'sfu' || this.#phase === 'to-sfu') return;
    this.#clearClose();
    this.#openSfu();
    this.#options.audio.setSfuSending(true);
    if (!this.#options.mesh.active) {
      // Nothing to change over from (we just joined a room on the SFU): never form the mesh.
      this.#setPhase('sfu');
      return;
    }
    this.#samples = 0;
    this.#overlapTimer = setTimeout(() => this.#sfuReached(), this.#options.maxOverlapMs ?? 15_000);
    this.#setPhase('to-sfu');
  }

  #toMesh(): void {
    if (this.#phase === 'mesh' || this.#phase === 'to-mesh') return;
    this.#clearOverlap();
    this.#options.mesh.setActive(true);
    if (!this.#sfuOpen) {
      this.#setPhase('mesh');
      return;
    }
    this.#samples = 0;
    this.#setPhase('to-mesh');
  }

  #sfuReached(): void {
    if (this.#phase !== 'to-sfu') return;
    this.#clearOverlap();
    this.#options.mesh.setActive(false, 'sfu');
    this.#setPhase('sfu');
  }

  #meshReached(): void {
    if (this.#phase !== 'to-mesh') return;
    this.#options.audio.setSfuSending(false);
    this.#setPhase('mesh');
    this.#clearClose();
    if (this.#options.keepSfuLink) return;
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = null;
      if (this.#phase !== 'mesh' || this.#disposed) return;
      this.#sfuOpen = false;
      this.#options.sfu.close();
    }, this.#options.closeGraceMs ?? 2000);
  }

  /** Every source that sent something in the last sample arrived on `path` too. */
  #allArrive(path: keyof PathDeltas): boolean {
    for (const delta of this.#deltas.values()) {
      if (delta.sfu + delta.direct > 0 && delta[path] === 0) return false;
    }
    return true;
  }

  #openSfu(): void {
    this.#sfuOpen = true;
    this.#options.sfu.open();
  }

  #setPhase(phase: RoutePhase): void {
    if (this.#phase === phase) return;
    this.#phase = phase;
    this.events.emit('phase', phase);
  }

  #clearWait(): void {
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
  }

  #clearOverlap(): void {
    if (this.#overlapTimer) clearTimeout(this.#overlapTimer);
    this.#overlapTimer = null;
  }

  #clearClose(): void {
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
  }
}
