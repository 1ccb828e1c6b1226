/**
 * Presence: who is in the studio and what their audio does. Identity (peer id, user id, name,
 * instrument, role, join time) comes only from the relay's attestation; over awareness a player
 * shares nothing but facts about its own audio, and those are accepted only from that player's own
 * link (see studio-sync.ts). Never persisted.
 */
import type { AttestedPeer } from '../protocol/attested';
import { isAudioPathList, type AudioPath } from '../protocol/audio-paths';

export { AUDIO_PATHS, type AudioPath } from '../protocol/audio-paths';

/** A clock offset as measured: the other clock − ours, and the estimate's error bound (ms). */
export interface ClockReading {
  offsetMs: number;
  uncertaintyMs: number;
}

/** What a player says about its own audio (its awareness state). */
export interface AudioPresence {
  /** Audio paths this visit can use. */
  audioPaths: AudioPath[];
  /** Whether its audio is running (Start audio pressed and not stopped). */
  audioOn: boolean;
  /**
   * The relay's clock − this player's, once measured on its SFU channel: in an SFU room, where no
   * direct link measures clocks, the others place its clock through the relay's (shared-clock.ts).
   * A player who lies about it misplaces only the timelines it writes itself.
   */
  relayClock?: ClockReading;
}

/** Offsets beyond a day or bounds beyond 10 s are no measurement of ours: refused. */
const MAX_OFFSET_MS = 86_400_000;
const MAX_UNCERTAINTY_MS = 10_000;

export function isClockReading(value: unknown): value is ClockReading {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.offsetMs === 'number' &&
    Number.isFinite(v.offsetMs) &&
    Math.abs(v.offsetMs) <= MAX_OFFSET_MS &&
    typeof v.uncertaintyMs === 'number' &&
    v.uncertaintyMs >= 0 &&
    v.uncertaintyMs <= MAX_UNCERTAINTY_MS
  );
}

export interface PresentPeer extends AttestedPeer {
  self: boolean;
  /** A link is open and the peer's presence arrived over it. Always true for `self`. */
  connected: boolean;
  /** Null until the peer's awareness arrived. */
  audio: AudioPresence | null;
}

/** Awareness states come from other browsers: accept only well-formed ones. */
export function isAudioPresence(value: unknown): value is AudioPresence {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    isAudioPathList(v.audioPaths) &&
    typeof v.audioOn === 'boolean' &&
    (v.relayClock === undefined || isClockReading(v.relayClock))
  );
}

/** The attested participants, ourselves first, each with what its link told us about its audio. */
export function presentPeers(options: {
  self: AttestedPeer | null;
  peers: readonly AttestedPeer[];
  audioOf: (client: number) => AudioPresence | null;
  connected: (peerId: string) => boolean;
  selfAudio: AudioPresence;
}): PresentPeer[] {
  const list: PresentPeer[] = [];
  if (options.self) list.push({ ...options.self, self: true, connected: true, audio: options.selfAudio });
  for (const peer of options.peers) {
    const connected = options.connected(peer.peerId);
    list.push({ ...peer, self: false, connected, audio: connected ? options.audioOf(peer.client) : null });
  }
  return list;
}
