/**
 * PocketBase → relay control messages: how a membership change or a deleted studio reaches a live
 * room within seconds (ADR 0008). PocketBase POSTs one JSON object to `RELAY_CONTROL_PATH` on the
 * relay with `Authorization: Bandmesh-HMAC <hex>`, where `<hex>` is HMAC-SHA256 over
 * `RELAY_CONTROL_CONTEXT + body` keyed with the room-ticket secret both already share. The relay
 * refuses a body whose `iat` is more than `RELAY_CONTROL_MAX_AGE_SECONDS` away from its clock; a replay
 * inside that window repeats an idempotent change.
 *
 * - `membership`: user `user` now has role `role` in `studio`, or is no longer a member (`role: null`).
 *   The relay updates that user's live connections (peers get `peer-updated`) or closes them with
 *   `membership-revoked`.
 * - `studio-deleted`: every connection of the studio is closed with `studio-deleted`.
 *   `rec` (optional) says whether the user may record with that role under the studio's "recording
 *   allowed" setting; without it the relay keeps what it knew.
 * - `recording-policy`: the studio's "recording allowed" setting changed (`policy`); the relay
 *   recomputes who may record in the live room from each seat's role, tells each seat whose permission
 *   changed (`recording-permission`) and stops recorders no longer allowed (`peer-recording` off).
 * - `room-mode`: pins the studio's live room to the mesh or the relay's SFU (`mode: 'mesh' | 'sfu'`),
 *   or lets the relay decide again (`'auto'`); for operations and tests (ADR 0009). The room hears
 *   `room-route`. It lasts as long as the room.
 *
 * The relay's read-only queries `GET /load` and `GET /rooms/<studioId>` (room placement, benchmarks)
 * say whether a band is live and how many play, so they are signed too: the caller sends
 * `x-bandmesh-time: <unix seconds>` and `Authorization: Bandmesh-HMAC <hex>`, `<hex>` being
 * HMAC-SHA256 over {@link relayQuerySigningInput} (method, path without query, that time) keyed with
 * the same secret. The relay refuses (401) a missing or wrong signature, or a time more than
 * `RELAY_QUERY_MAX_SKEW_SECONDS` away from its clock. `GET /healthz` stays public (counts only).
 */
import { isRecordingPolicy, isStudioRole, type RecordingPolicy, type StudioRole } from './ticket.js';

export const RELAY_CONTROL_PATH = '/control';
export const RELAY_CONTROL_VERSION = 1;
export const RELAY_CONTROL_CONTEXT = 'bandmesh-relay-control\n';
export const RELAY_CONTROL_AUTH_SCHEME = 'Bandmesh-HMAC';
export const RELAY_CONTROL_MAX_AGE_SECONDS = 60;
export const RELAY_CONTROL_MAX_BYTES = 4096;

/** Domain separation: a signed query can never pass for a control body, nor the reverse. */
export const RELAY_QUERY_CONTEXT = 'bandmesh-relay-query\n';
export const RELAY_QUERY_TIME_HEADER = 'x-bandmesh-time';
export const RELAY_QUERY_MAX_SKEW_SECONDS = 60;

/**
 * The text a signed relay query's HMAC covers: context, upper-case method, path (no query string)
 * and the `x-bandmesh-time` value, newline-separated. PocketBase builds the same (internal/relayauth).
 */
export function relayQuerySigningInput(method: string, path: string, time: string | number): string {
  return `${RELAY_QUERY_CONTEXT}${method.toUpperCase()}\n${path}\n${time}`;
}

export type RelayControl =
  | {
      v: 1;
      kind: 'membership';
      studio: string;
      user: string;
      role: StudioRole | null;
      iat: number;
      rec?: boolean;
    }
  | { v: 1; kind: 'studio-deleted'; studio: string; iat: number }
  | { v: 1; kind: 'recording-policy'; studio: string; policy: RecordingPolicy; iat: number }
  | { v: 1; kind: 'room-mode'; studio: string; mode: RoomModeSetting; iat: number };

/** A forced room mode, or `auto`: the relay decides by the mesh limit and route requests. */
export type RoomModeSetting = 'mesh' | 'sfu' | 'auto';

export function isRoomModeSetting(value: unknown): value is RoomModeSetting {
  return value === 'mesh' || value === 'sfu' || value === 'auto';
}

const ID = /^[a-z0-9]{1,32}$/;

/** Validates a control body (already authenticated); `null` when malformed. */
export function parseRelayControl(value: unknown): RelayControl | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.v !== RELAY_CONTROL_VERSION || typeof v.studio !== 'string' || !ID.test(v.studio)) return null;
  if (!Number.isSafeInteger(v.iat)) return null;
  const iat = v.iat as number;
  if (v.kind === 'studio-deleted') return { v: 1, kind: 'studio-deleted', studio: v.studio, iat };
  if (v.kind === 'room-mode') {
    return isRoomModeSetting(v.mode)
      ? { v: 1, kind: 'room-mode', studio: v.studio, mode: v.mode, iat }
      : null;
  }
  if (v.kind === 'recording-policy') {
    return isRecordingPolicy(v.policy)
      ? { v: 1, kind: 'recording-policy', studio: v.studio, policy: v.policy, iat }
      : null;
  }
  if (v.kind !== 'membership' || typeof v.user !== 'string' || !ID.test(v.user)) return null;
  if (v.role !== null && !isStudioRole(v.role)) return null;
  if (v.rec !== undefined && typeof v.rec !== 'boolean') return null;
  return {
    v: 1,
    kind: 'membership',
    studio: v.studio,
    user: v.user,
    role: v.role,
    iat,
    ...(typeof v.rec === 'boolean' ? { rec: v.rec } : {}),
  };
}
