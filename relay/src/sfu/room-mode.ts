/**
 * Whether a room's audio goes peer to peer (`mesh`) or through the relay (`sfu`). The decision is
 * per room, not per pair: every player then sends one stream and hears one path, and a switch is
 * one event the whole room changes over on (ADR 0009). Hysteresis keeps a room at the edge of the
 * mesh limit from flapping as one player comes and goes.
 */
import type { RoomMode } from '../../../src/lib/protocol/sfu.js';

export interface ModeInputs {
  /** The room's mode so far. */
  previous: RoomMode;
  /** Players in the room. */
  players: number;
  /** Some player could not reach another directly or through TURN (`route-request`). */
  unreachable: boolean;
  /** A control message pinned the mode; null = decided by the rules below. */
  forced: RoomMode | null;
  sfuEnabled: boolean;
  meshLimit: number;
  meshHysteresis: number;
}

export function decideRoomMode(inputs: ModeInputs): RoomMode {
  if (!inputs.sfuEnabled) return 'mesh';
  if (inputs.forced !== null) return inputs.forced;
  if (inputs.players > inputs.meshLimit || inputs.unreachable) return 'sfu';
  // Back to the mesh only once the room is clearly below the limit.
  if (inputs.previous === 'sfu' && inputs.players > inputs.meshLimit - inputs.meshHysteresis) return 'sfu';
  return 'mesh';
}
