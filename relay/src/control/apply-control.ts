/**
 * What a verified control message from PocketBase does to live rooms (ADR 0008): a removed member's
 * connections are evicted with `membership-revoked`, a changed role is re-attested to the whole room
 * with `peer-updated`, a deleted studio's connections are all evicted with `studio-deleted`. The
 * change is also remembered ({@link MembershipOverrides}) so tickets minted before it cannot undo it.
 *
 * Who may record follows too: a membership change with `rec` sets that user's seats' permission, and a
 * `recording-policy` (the studio's "recording allowed" setting) recomputes it for every seat from its
 * attested role; a recorder no longer allowed is stopped at once (see {@link Room.setMayRecord}).
 *
 * `room-mode` pins a live room to the mesh or the SFU (or gives it back to the rules with `auto`).
 *
 * A control message older than a connection's ticket does not touch that connection: the ticket was
 * minted after the change and already reflects it (or a newer one).
 */
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import type { RelayControl, RoomModeSetting } from '../../../src/lib/protocol/relay-control.js';
import { recordingAllowedFor } from '../../../src/lib/protocol/ticket.js';
import type { RoomMember } from '../signaling/room.js';
import type { RoomRegistry } from '../signaling/rooms.js';
import type { MembershipOverrides } from './membership-overrides.js';

export interface ControlOutcome {
  /** Live connections evicted or re-attested. */
  affected: number;
  /** False when a newer change was already known (a replay of an older message): nothing was done. */
  applied: boolean;
}

/** Where a `room-mode` control message goes (the SFU service). */
export interface RoomModes {
  /** Returns how many players of the live room were affected (0: not live). */
  forceMode(studio: string, mode: RoomModeSetting): number;
}

export function applyControl<M extends RoomMember>(
  control: RelayControl,
  rooms: RoomRegistry<M>,
  overrides: MembershipOverrides,
  roomModes?: RoomModes,
): ControlOutcome {
  if (control.kind === 'room-mode') {
    // Not remembered past the room: it is for operations and tests on a live room.
    return { affected: roomModes?.forceMode(control.studio, control.mode) ?? 0, applied: true };
  }
  if (control.kind === 'studio-deleted') {
    if (!overrides.recordDeletion(control.studio, control.iat)) return { affected: 0, applied: false };
    const affected =
      rooms.withStudio(control.studio, (room) => {
        let count = 0;
        for (const seat of room.seats()) {
          if (seat.ticketIssuedAt > control.iat) continue;
          room.evict(seat, ErrorCode.StudioDeleted);
          count += 1;
        }
        return count;
      }) ?? 0;
    return { affected, applied: true };
  }

  if (control.kind === 'recording-policy') {
    const { studio, policy, iat } = control;
    if (!overrides.recordRecordingPolicy(studio, policy, iat)) return { affected: 0, applied: false };
    const affected =
      rooms.withStudio(studio, (room) => {
        let count = 0;
        for (const seat of room.seats()) {
          if (seat.ticketIssuedAt > iat) continue;
          if (room.setMayRecord(seat, recordingAllowedFor(policy, seat.peer.role))) count += 1;
        }
        return count;
      }) ?? 0;
    return { affected, applied: true };
  }

  const { studio, user, role, rec } = control;
  if (!overrides.recordMembership(studio, user, role, control.iat, rec)) {
    return { affected: 0, applied: false };
  }
  const policy = overrides.recordingPolicy(studio);
  const affected =
    rooms.withStudio(studio, (room) => {
      let count = 0;
      for (const seat of room.seats()) {
        if (seat.peer.userId !== user || seat.ticketIssuedAt > control.iat) continue;
        if (role === null) {
          room.evict(seat, ErrorCode.MembershipRevoked);
          count += 1;
          continue;
        }
        const updated = room.updateRole(seat, role);
        // PocketBase says whether the new role may record; an older PocketBase does not, and then a
        // setting the relay heard of decides (otherwise the seat keeps what it had).
        const mayRecord = rec ?? (policy ? recordingAllowedFor(policy.policy, role) : undefined);
        const permission = mayRecord !== undefined && room.setMayRecord(seat, mayRecord);
        if (updated || permission) count += 1;
      }
      return count;
    }) ?? 0;
  return { affected, applied: true };
}
