/**
 * Presence: who is in the studio and what their audio does. Identity (peer id, user id, name,
 * instrument, role, join time) comes only from the relay's attestation; over awareness a player
 * shares nothing but facts about its own audio, and those are accepted only from that player's own
 * link (see studio-sync.ts). Never persisted.
 */
import type { AttestedPeer } from '../protocol/attested';
import { isAudioPathList, type AudioPath } from '../protocol/audio-paths';

export { AUDIO_PATHS, type AudioPath } from '../protocol/audio-paths';

/** What a player says about its own audio (its awareness state). */
export interface AudioPresence {
  /** Audio paths this visit can use. */
  audioPaths: AudioPath[];
  /** Whether its audio is running (Start audio pressed and not stopped). */
  audioOn: boolean;
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
  return isAudioPathList(v.audioPaths) && typeof v.audioOn === 'boolean';
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
