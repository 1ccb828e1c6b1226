/**
 * Why the SFU dropped something, counted relay-wide for `/load` (counts only, never who). Each
 * reason is one integer, so counting costs nothing on the hot path.
 */
export const DropReason = {
  /** A text message, a cut-short frame, a malformed link ping. */
  Malformed: 'malformed',
  /** Longer than SFU_MAX_UPSTREAM_BYTES. */
  Oversized: 'oversized',
  /** First byte neither a sealed-frame version nor a link ping. */
  WrongVersion: 'wrong-version',
  /** A `seq` the sender already sent (inside the replay window). */
  Replayed: 'replayed',
  /** A `seq` older than the replay window. */
  Stale: 'stale',
  /** Over the sender's frame rate limit. */
  Flood: 'flood',
  /** The sender holds no seat in a room (it left, or never joined). */
  NoRoom: 'no-room',
  /** Frames in a bundle not sent because the receiver's channel was backed up. */
  ReceiverBacklog: 'receiver-backlog',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export type DropCounts = Record<DropReason, number>;

export function emptyDropCounts(): DropCounts {
  const counts = {} as DropCounts;
  for (const reason of Object.values(DropReason)) counts[reason] = 0;
  return counts;
}
