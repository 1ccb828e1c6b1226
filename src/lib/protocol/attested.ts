/**
 * Attested identity: who a studio participant is, as the relay vouches for it. The relay builds it
 * from the room ticket PocketBase signed (user id, role, display name, instrument) plus the peer id it
 * assigns to the connection and the Yjs client id the client declared when subscribing (unique in the
 * room). Peers believe only this, never what another peer says about itself.
 */
import { isStudioRole, type StudioRole } from './ticket.js';

export interface AttestedPeer {
  /** Assigned by the relay per connection; a client cannot choose it. */
  peerId: string;
  /** PocketBase user id (the ticket's `sub`). */
  userId: string;
  role: StudioRole;
  /** Display name and first instrument from the PocketBase profile, as signed into the ticket. */
  name: string;
  instrument: string;
  /** The Yjs client id this connection's document writes with (unique among the room's visits). */
  client: number;
  /** When the relay admitted this connection, ms since the epoch (orders the player list). */
  joinedAt: number;
}

export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const MAX_PROFILE_TEXT = 80;
/** Yjs client ids are unsigned 32-bit integers. */
export const isYjsClientId = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff_ffff;

export function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && PEER_ID_PATTERN.test(value);
}

/** A display name or instrument as tickets and attestations carry them (may be empty). */
export const isProfileText = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_PROFILE_TEXT;

/** Validates an attested identity received from the relay; `null` when malformed. */
export function parseAttestedPeer(value: unknown): AttestedPeer | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (
    !isPeerId(v.peerId) ||
    typeof v.userId !== 'string' ||
    v.userId.length === 0 ||
    v.userId.length > 64 ||
    !isStudioRole(v.role) ||
    !isProfileText(v.name) ||
    !isProfileText(v.instrument) ||
    !isYjsClientId(v.client) ||
    typeof v.joinedAt !== 'number' ||
    !Number.isFinite(v.joinedAt)
  ) {
    return null;
  }
  return {
    peerId: v.peerId,
    userId: v.userId,
    role: v.role,
    name: v.name,
    instrument: v.instrument,
    client: v.client,
    joinedAt: v.joinedAt,
  };
}

/** May this identity change studio-wide things and other players' monitor mixes? */
export const isPrivileged = (role: StudioRole): boolean => role === 'owner' || role === 'engineer';
