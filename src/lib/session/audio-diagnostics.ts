/**
 * Raw per-participant counters for diagnostics, benchmarks and e2e tests (`window.__bandmesh`): one
 * row from a participant's record and its slot's status in the playback worklet. Pure.
 */
import type { PeerStatus } from '../protocol/audio-layout';
import type { AudioPath } from '../sync/presence';
import type { Participant } from './participants';
import { remoteAudioOf, type RemoteAudio } from './remote-audio';

export interface AudioDiagnostics {
  peerId: string;
  userId: string;
  slot: number;
  path: AudioPath;
  /** The network path its audio takes to us (direct, turn, relay), null while none carries it. */
  network: Participant['network'];
  /** Whether their audio reaches us (remote-audio.ts). */
  audio: RemoteAudio['kind'];
  /** Track path: a remote track plays. */
  receiving: boolean;
  framesSent: number;
  framesReceived: number;
  /** Of those, frames that came through the relay's SFU (and opened). */
  sfuFrames: number;
  /** SFU frames dropped: sealed with a key we do not hold, or failing authentication. */
  undecryptableFrames: number;
  tamperedFrames: number;
  /** Opus frames that arrived after their own concealment, and frames concealed (Worker). */
  lateFrames: number;
  concealedFrames: number;
  /** Frames dropped before decoding because another transport brought them first. */
  duplicateFrames: number;
  badFrames: number;
  skippedFrames: number;
  framesDecoded: number;
  /** Their frame size, samples per channel (from their frames' headers). */
  frameSamples: number | null;
  underruns: number;
  peak: number;
  /** The track path only: RMS over the receiver's last 2,048 samples (null on the data path). */
  trackRms: number | null;
  /** Jitter buffer, ms: playout delay now, the depth it steers to, and audio not yet played. */
  depthMs: number;
  targetMs: number;
  bufferedMs: number;
  /** Round-trip time Worker ⇄ Worker on the audio channel, ms (null until measured). */
  rttMs: number | null;
  /** Longest concealed gap since the peer was added (jitter-buffer.ts defines a gap), ms. */
  longestGapMs: number;
  /** Gaps longer than 20 ms since the peer was added. */
  gapsOver20ms: number;
  /** Buffered frames the jitter buffer dropped to catch up (playout far too deep). */
  skips: number;
  /** The last completed second of the playback clock, and the longest gap that ended in it (ms). */
  gapSecond: number;
  lastSecondLongestGapMs: number;
}

export function diagnosticsRow(
  p: Participant & { slot: number },
  status: PeerStatus | null,
): AudioDiagnostics {
  const stats = p.stats;
  const trackLevel = p.receiver?.level() ?? null;
  return {
    peerId: p.identity.peerId,
    userId: p.identity.userId,
    slot: p.slot,
    path: p.route ?? 'data',
    network: p.network,
    audio: remoteAudioOf(p).kind,
    receiving: p.receiver !== null,
    framesSent: stats?.framesSent ?? 0,
    framesReceived: stats?.framesReceived ?? 0,
    sfuFrames: stats?.sfuFrames ?? 0,
    undecryptableFrames: stats?.undecryptableFrames ?? 0,
    tamperedFrames: stats?.tamperedFrames ?? 0,
    lateFrames: stats?.lateFrames ?? 0,
    concealedFrames: stats?.concealedFrames ?? 0,
    duplicateFrames: stats?.duplicateFrames ?? 0,
    badFrames: stats?.badFrames ?? 0,
    skippedFrames: stats?.skippedFrames ?? 0,
    framesDecoded: stats?.framesDecoded ?? 0,
    frameSamples: stats?.frameSamples ?? null,
    underruns: status?.Underruns ?? 0,
    longestGapMs: (status?.LongestGapUs ?? 0) / 1000,
    gapsOver20ms: status?.GapsOver20ms ?? 0,
    skips: status?.Skips ?? 0,
    gapSecond: status?.GapSecond ?? 0,
    lastSecondLongestGapMs: (status?.LastSecondLongestGapUs ?? 0) / 1000,
    peak: trackLevel?.peak ?? status?.Peak ?? 0,
    trackRms: trackLevel?.rms ?? null,
    depthMs: status?.DepthMs ?? 0,
    targetMs: status?.TargetMs ?? 0,
    bufferedMs: status?.BufferedMs ?? 0,
    rttMs: stats?.rttMs ?? null,
  };
}
