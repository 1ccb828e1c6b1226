/**
 * The fallback audio path, per pair: decides each pair's path from both players' advertised paths
 * (the peer's from its participant record; see audio-paths.ts), tells the audio Worker to leave
 * `track` sources alone, sends our microphone track on those pairs' links while audio runs, and plays
 * their tracks through the engine (TrackReceiver) in their source's slot.
 *
 * It writes what it decides into the participant's record (route, receiver, track delay), where the
 * rest of the app reads it; it keeps its own reference too, because a record may vanish (the peer
 * left) before its link closes and the receiver must still be released.
 *
 * Invariants: a receiver exists only for a pair on the track path whose link is registered, whose
 * peer has a record with a slot, whose remote track is live and while the engine runs; `reconcile()`
 * restores that after any change, and is the only place that creates or releases receivers and
 * senders. dispose() releases everything once.
 */
import type { AudioNetClient } from '../audio/audio-net-client';
import type { AudioEngine } from '../audio/engine';
import type { TrackReceiver } from '../audio/track-receiver';
import type { AudioReceiveStats } from '../net/peer-link';
import type { AudioPath } from '../sync/presence';
import { choosePath } from './audio-paths';
import type { ParticipantLink, Participants } from './participants';

/** What the track path needs of a link (PeerLink). */
export type TrackLink = ParticipantLink;

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
}

export class TrackPaths {
  readonly #net: Pick<AudioNetClient, 'setSourcePath'>;
  readonly #participants: Participants;
  readonly #onChange: () => void;
  readonly #pairs = new Map<string, Pair>();
  #mine: AudioPath[] = ['data', 'track'];
  #engine: AudioEngine | null = null;
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  #disposed = false;

  constructor(options: {
    net: Pick<AudioNetClient, 'setSourcePath'>;
    participants: Participants;
    onChange: () => void;
  }) {
    this.#net = options.net;
    this.#participants = options.participants;
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

  /** Re-sends a source's path to the Worker (a re-added source starts on `data`). */
  resendPath(peerId: string): void {
    const pair = this.#pairs.get(peerId);
    if (pair) this.#net.setSourcePath(peerId, pair.path);
  }

  /** Brings paths, senders and receivers in line with the records, links and the engine. */
  reconcile(): void {
    if (this.#disposed) return;
    const engine = this.#engine;
    const input = engine?.inputTrack ?? null;
    let changed = false;
    for (const [peerId, pair] of this.#pairs) {
      const record = this.#participants.get(peerId);
      const path = choosePath(this.#mine, record?.audio?.paths);
      if (path !== pair.path) {
        pair.path = path;
        this.#net.setSourcePath(peerId, path);
        changed = true;
      }
      this.#participants.setRoute(peerId, path);
      const track = path === 'track';
      if (track && input) {
        pair.link.addAudioTrack(input); // replaces the sent track when the microphone was reopened
        pair.sending = true;
      } else if (pair.sending) {
        pair.link.removeAudioTrack();
        pair.sending = false;
      }
      const remote = pair.remoteTrack?.readyState === 'live' ? pair.remoteTrack : null;
      const slot = record?.slot ?? null;
      const wanted = track && engine && remote && slot !== null;
      if (pair.receiver && (!wanted || pair.receiver.track !== remote)) {
        engine?.releaseTrack(pair.receiver);
        pair.receiver.dispose(); // the engine may already be gone
        pair.receiver = null;
        // A later receiver measures afresh: no estimate, and no baseline from before this gap.
        pair.lastStats = null;
        this.#participants.setTrackDelay(peerId, null);
        changed = true;
      }
      if (wanted && !pair.receiver) {
        pair.receiver = engine.receiveTrack(slot, remote);
        changed = true;
      }
      this.#participants.setReceiver(peerId, pair.receiver);
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
    for (const [peerId, pair] of this.#pairs) {
      if (!pair.receiver) continue;
      const stats = await pair.link.audioReceiveStats().catch(() => null); // a closing link: no figure
      // The pair may have gone meanwhile (its link closed, perhaps replaced by a new one for the peer).
      if (!stats || this.#pairs.get(peerId) !== pair) continue;
      const last = pair.lastStats;
      pair.lastStats = stats;
      const emitted = last ? stats.jitterBufferEmittedCount - last.jitterBufferEmittedCount : 0;
      if (!last || emitted <= 0 || stats.rttMs === null) continue;
      const bufferMs = ((stats.jitterBufferDelayS - last.jitterBufferDelayS) / emitted) * 1000;
      // One-way delay up to our side of its jitter buffer: half the ICE RTT + its recent average delay.
      if (pair.receiver) this.#participants.setTrackDelay(peerId, stats.rttMs / 2 + bufferMs);
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
    this.#participants.setReceiver(peerId, null);
    this.#participants.setRoute(peerId, null);
    this.#participants.setTrackDelay(peerId, null);
  }
}
