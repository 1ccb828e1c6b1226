/**
 * Which network path a participant's audio takes to us, in the words the UI uses (direct, via TURN,
 * via the relay), from what the last stats sample saw arrive. Pure.
 */
import type { RoomMode } from '../protocol/sfu';
import type { AudioRoute, NetworkPath } from './participants';
import type { PathDeltas } from './room-route';

export function networkPathOf(input: {
  /** Frames from it in the last stats sample, by path; null before two samples. */
  deltas: PathDeltas | null;
  /** The room's mode as the relay last said (during a changeover, the one the room moves to). */
  mode: RoomMode | null;
  /** Our direct link to it, when open: its ICE route once read ('direct' until then). */
  link: { iceRoute: 'direct' | 'turn' | null } | null;
  /** Its audio route: a WebRTC track's frames never pass the Worker, its link carries them. */
  route: AudioRoute | null;
}): NetworkPath | null {
  const direct = (): NetworkPath | null => (input.link ? (input.link.iceRoute ?? 'direct') : null);
  const { deltas } = input;
  if (deltas) {
    // During a changeover both paths carry frames: name the one the room is moving to.
    if (input.mode === 'sfu' && deltas.sfu > 0) return 'relay';
    if (deltas.direct > 0) return direct() ?? 'direct';
    if (deltas.sfu > 0) return 'relay';
  }
  if (input.route === 'track') return direct();
  return null;
}
