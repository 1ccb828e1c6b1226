/**
 * Whether a remote participant's audio reaches us now, from its record alone. A player who pressed
 * Stop audio must not keep a green latency badge and "Opus over data channel": its audio is `off`
 * when it says so in presence (`audio.on` false), or when no frame of it arrived for
 * {@link IDLE_AFTER_MS} (a stopped player on an older client, a crashed tab, a dead path).
 */
import type { TransportCodec } from '../protocol/audio-worker';
import { dataPathDelayMs, trackPathDelayMs, type DeviceLatency } from './latency';
import type { Participant } from './participants';

/** No frame for this long: the remote's audio counts as stopped (the jitter buffer idles after 1 s too). */
export const IDLE_AFTER_MS = 1000;

export type RemoteAudio =
  | { kind: 'off' }
  /** On, as far as we know, but nothing arrived yet. */
  | { kind: 'waiting' }
  | { kind: 'playing'; path: TransportCodec | 'track' };

export function remoteAudioOf(p: Participant): RemoteAudio {
  if (p.audio?.on === false) return { kind: 'off' };
  if (p.route === 'track') return p.receiver ? { kind: 'playing', path: 'track' } : { kind: 'waiting' };
  const stats = p.stats;
  if (!stats || stats.framesReceived === 0 || stats.codec === null || stats.lastFrameAgeMs === null) {
    return { kind: 'waiting' };
  }
  if (stats.lastFrameAgeMs > IDLE_AFTER_MS) return { kind: 'off' };
  return { kind: 'playing', path: stats.codec };
}

/** What a UI shows as a player's audio path: how it reaches us, `off` when it stopped. */
export type RemotePath = TransportCodec | 'track' | 'off';

/** The path of a user's visits (a player may have two tabs): a playing one wins; null while waiting. */
export function pathOfVisits(visits: readonly Participant[]): RemotePath | null {
  let result: RemotePath | null = null;
  for (const p of visits) {
    const audio = remoteAudioOf(p);
    if (audio.kind === 'playing') return audio.path;
    if (audio.kind === 'off') result = 'off';
  }
  return result;
}

/**
 * One visit's estimated mouth-to-ear delay (latency.ts) from its record and our jitter buffer's
 * depth for it; null while not measured, and when its audio is not playing (no stale figure).
 * Through the relay (no direct channel to ping) the network leg is sender → relay → us: our own
 * round trip to the relay stands for both halves (the sender's leg is not measured here), so
 * `relayRttMs` is taken as the one-way network delay.
 */
export function participantDelayMs(
  p: Participant,
  ours: { depthMs: number; device: DeviceLatency; relayRttMs?: number | null },
): number | null {
  const audio = remoteAudioOf(p);
  if (audio.kind !== 'playing') return null;
  if (audio.path === 'track') {
    return p.trackDelayMs === null
      ? null
      : trackPathDelayMs({ networkMs: p.trackDelayMs, device: ours.device });
  }
  const stats = p.stats;
  const viaRelay = p.network === 'relay' && ours.relayRttMs != null ? ours.relayRttMs * 2 : null;
  const rttMs = stats?.rttMs ?? viaRelay;
  if (!stats || rttMs == null || stats.frameSamples === null) return null;
  return dataPathDelayMs({
    rttMs,
    depthMs: ours.depthMs,
    remoteFrameSamples: stats.frameSamples,
    codec: audio.path,
    device: ours.device,
  });
}
