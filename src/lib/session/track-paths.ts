/**
 * The fallback audio path, per pair: decides each pair's path from both players' advertised paths
 * (see audio-paths.ts), tells the audio Worker to leave `track` pairs alone, sends our microphone track
 * on those pairs' links while audio runs, and plays their tracks through the engine (TrackReceiver).
 *
 * Invariants: a receiver exists only for a pair on the track path whose link is registered, whose
 * remote track is live and while the engine runs; `reconcile()` restores that after any change, and
 * is the only place that creates or releases receivers and senders. dispose() releases everything once.
 */
import type { AudioNetClient } from '../audio/audio-net-client';
import type { AudioEngine } from '../audio/engine';
import type { TrackReceiver } from '../audio/track-receiver';
import type { AudioReceiveStats, PeerLinkEvents } from '../net/peer-link';
import type { AudioPath, PresentPeer } from '../sync/presence';
import type { Emitter } from '../util/emitter';
import { choosePath } from './audio-paths';

/** What the track path needs of a link (PeerLink). */
export interface TrackLink {
  readonly remoteId: string;
  readonly events: Emitter<PeerLinkEvents>;
  addAudioTrack(track: MediaStreamTrack): void;
  removeAudioTrack(): void;
  audioReceiveStats(): Promise<AudioReceiveStats | null>;
}

const STATS_INTERVAL_MS = 1000;

interface Pair {
  link: TrackLink;
  path: AudioPath;
  remoteTrack: MediaStreamTrack | null;
  receiver: TrackReceiver | null;
  sending: boolean;
  off: () => void;
  /** Last cumulative jitter-buffer figures, and the delay estimate from their change. */
  lastStats: AudioReceiveStats | null;
  networkMs: number | null;
}

export class TrackPaths {
  readonly #net: AudioNetClient;
  readonly #presence: () => PresentPeer[];
  readonly #onChange: () => void;
  readonly #pairs = new Map<string, Pair>();
  #mine: AudioPath[] = ['data', 'track'];
  #engine: AudioEngine | null = null;
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  #disposed = false;

  constructor(options: { net: AudioNetClient; presence: () => PresentPeer[]; onChange: () => void }) {
    this.#net = options.net;
    this.#presence = options.presence;
    this.#onChange = options.onChange;
  }

  /** Registers a link; returns the function that forgets it (call when it closes). */
  addLink(link: TrackLink): () => void {
    if (this.#disposed) return () => undefined;
    this.#forget(link.remoteId);
    const pair: Pair = {
      link,
      path: 'data',
      remoteTrack: null,
      receiver: null,
      sending: false,
      off: () => {},
      lastStats: null,
      networkMs: null,
    };
    pair.off = link.events.on('track', (track) => {
      pair.remoteTrack = track;
      track.addEventListener('ended', () => {
        if (pair.remoteTrack !== track) return;
        pair.remoteTrack = null;
        this.reconcile();
      });
      this.reconcile();
    });
    this.#pairs.set(link.remoteId, pair);
    this.reconcile();
    return () => {
      if (this.#pairs.get(link.remoteId) !== pair) return;
      this.#forget(link.remoteId);
      this.#onChange();
    };
  }

  setLocalPaths(paths: AudioPath[]): void {
    this.#mine = paths;
    this.reconcile();
  }

  setEngine(engine: AudioEngine | null): void {
    this.#engine = engine;
    this.reconcile();
  }

  /** The path a peer's audio takes. */
  pathOf(peerId: string): AudioPath {
    return this.#pairs.get(peerId)?.path ?? 'data';
  }

  /** The peer's playing track, when its pair is on the track path and audio runs. */
  receiver(peerId: string): TrackReceiver | null {
    return this.#pairs.get(peerId)?.receiver ?? null;
  }

  /**
   * One-way network delay of a track pair's audio up to our side of its jitter buffer: half the ICE
   * round trip plus the jitter buffer's recent average delay. Null until measured.
   */
  networkDelayMs(peerId: string): number | null {
    const pair = this.#pairs.get(peerId);
    return pair?.receiver ? pair.networkMs : null;
  }

  /** Re-sends every pair's path to the Worker (it forgets them when a peer's channel is re-added). */
  resendPaths(): void {
    for (const [peerId, pair] of this.#pairs) this.#net.setPeerPath(peerId, pair.path);
  }

  /** Brings paths, senders and receivers in line with presence, links and the engine. */
  reconcile(): void {
    if (this.#disposed) return;
    const advertised = new Map(this.#presence().map((p) => [p.peerId, p.audioPaths]));
    const engine = this.#engine;
    const input = engine?.inputTrack ?? null;
    let changed = false;
    for (const [peerId, pair] of this.#pairs) {
      const path = choosePath(this.#mine, advertised.get(peerId));
      if (path !== pair.path) {
        pair.path = path;
        this.#net.setPeerPath(peerId, path);
        changed = true;
      }
      const track = path === 'track';
      if (track && input) {
        pair.link.addAudioTrack(input); // replaces the sent track when the microphone was reopened
        pair.sending = true;
      } else if (pair.sending) {
        pair.link.removeAudioTrack();
        pair.sending = false;
      }
      const remote = pair.remoteTrack?.readyState === 'live' ? pair.remoteTrack : null;
      const slot = this.#net.slots.get(peerId);
      const wanted = track && engine && remote && slot !== undefined;
      if (pair.receiver && (!wanted || pair.receiver.track !== remote)) {
        engine?.releaseTrack(pair.receiver);
        pair.receiver.dispose(); // the engine may already be gone
        pair.receiver = null;
        // A later receiver measures afresh: no estimate, and no baseline from before this gap.
        pair.lastStats = null;
        pair.networkMs = null;
        changed = true;
      }
      if (wanted && !pair.receiver) {
        pair.receiver = engine.receiveTrack(slot, remote);
        changed = true;
      }
    }
    const receiving = [...this.#pairs.values()].some((pair) => pair.receiver);
    if (receiving && !this.#statsTimer) {
      this.#statsTimer = setInterval(() => void this.#pollStats(), STATS_INTERVAL_MS);
    } else if (!receiving && this.#statsTimer) {
      clearInterval(this.#statsTimer);
      this.#statsTimer = null;
    }
    if (changed) this.#onChange();
  }

  dispose(): void {
    if (this.#disposed) return;
    for (const peerId of [...this.#pairs.keys()]) this.#forget(peerId);
    this.#disposed = true;
    this.#engine = null;
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
  }

  async #pollStats(): Promise<void> {
    for (const pair of this.#pairs.values()) {
      if (!pair.receiver) continue;
      const stats = await pair.link.audioReceiveStats().catch(() => null); // a closing link: no figure
      if (!stats) continue;
      const last = pair.lastStats;
      pair.lastStats = stats;
      const emitted = last ? stats.jitterBufferEmittedCount - last.jitterBufferEmittedCount : 0;
      if (!last || emitted <= 0 || stats.rttMs === null) continue;
      const bufferMs = ((stats.jitterBufferDelayS - last.jitterBufferDelayS) / emitted) * 1000;
      pair.networkMs = stats.rttMs / 2 + bufferMs;
    }
  }

  #forget(peerId: string): void {
    const pair = this.#pairs.get(peerId);
    if (!pair) return;
    this.#pairs.delete(peerId);
    pair.off();
    if (pair.receiver) {
      this.#engine?.releaseTrack(pair.receiver);
      pair.receiver.dispose();
    }
    if (pair.sending) pair.link.removeAudioTrack();
  }
}
