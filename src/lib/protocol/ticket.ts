/**
 * Room tickets: PocketBase mints them for studio members, the relay verifies them offline with a
 * shared secret. Format: a compact JWT, `HS256` only, with the claims below. Tickets are short-lived
 * (at most {@link TICKET_MAX_TTL_SECONDS}) and only gate *entry*: a subscription made with a valid
 * ticket lasts until its socket closes; a reconnect needs a fresh ticket.
 */
export const TICKET_AUDIENCE = 'bandmesh-relay';
export const TICKET_VERSION = 2;
export const TICKET_MAX_TTL_SECONDS = 600;
/**
 * Default mesh limit: most players whose audio goes peer to peer (every player links to every other,
 * so the cost grows with the square). Above it the room's audio goes through the relay's SFU
 * (`BANDMESH_MESH_LIMIT` on the relay).
 */
export const MESH_MAX_PLAYERS = 6;
/** Default room limit: most players one room holds (`BANDMESH_ROOM_LIMIT`, relay and PocketBase). */
export const ROOM_MAX_PLAYERS = 24;
/**
 * The largest `maxPlayers` a ticket may claim and the largest room limit either server accepts
 * (`tickets.RoomPlayersCap` in pocketbase/internal/tickets).
 */
export const ROOM_PLAYERS_CAP = 64;

export const StudioRole = {
  Owner: 'owner',
  Engineer: 'engineer',
  Member: 'member',
} as const;
export type StudioRole = (typeof StudioRole)[keyof typeof StudioRole];

export interface TicketClaims {
  /** Format version of the claims, {@link TICKET_VERSION}. */
  v: number;
  aud: typeof TICKET_AUDIENCE;
  /** PocketBase user id. */
  sub: string;
  /** PocketBase studio id. */
  studio: string;
  slug: string;
  role: StudioRole;
  /** Unique ticket id: one ticket holds one live connection (a second use replaces the first). */
  jti: string;
  /** Display name and first instrument from the user's PocketBase profile (may be empty). */
  name: string;
  instrument: string;
  /**
   * How many connections the studio's topic holds at most: `min(studio.maxPlayers, room limit)`, an
   * integer from 1 to {@link ROOM_PLAYERS_CAP}. The relay refuses a subscription beyond it (or beyond
   * its own room limit) with `room-full`. Tickets minted before this claim existed lack it; the relay
   * then uses its room limit.
   */
  maxPlayers?: number;
  /**
   * The relay the room is pinned to (its `BANDMESH_RELAY_ID`), chosen by PocketBase when the ticket is
   * issued; a relay refuses a ticket naming another (`wrong-relay`). Absent: any relay accepts it.
   */
  relay?: string;
  /**
   * May this participant record ("everyone knows", issue 9)? PocketBase computes it when it mints the
   * ticket from the studio's `recordingAllowed` and the member's role ({@link recordingAllowedFor}).
   * Absent (tickets minted before the claim existed) means false: see {@link ticketMayRecord}.
   */
  rec?: boolean;
  /** Issued at / expires at, in Unix seconds. */
  iat: number;
  exp: number;
}

/**
 * The studio setting "recording allowed" (`studios.recordingAllowed` in PocketBase): `engineers` means
 * the owner and the engineers. An empty or unknown value counts as `everyone`, the field's default.
 */
export type RecordingPolicy = 'everyone' | 'engineers' | 'nobody';
export const RECORDING_POLICIES: readonly RecordingPolicy[] = ['everyone', 'engineers', 'nobody'];
export const DEFAULT_RECORDING_POLICY: RecordingPolicy = 'everyone';

export function isRecordingPolicy(value: unknown): value is RecordingPolicy {
  return value === 'everyone' || value === 'engineers' || value === 'nobody';
}

/** Whether a member with `role` may record under `policy` (PocketBase's `tickets.MayRecord` is the same). */
export function recordingAllowedFor(policy: RecordingPolicy, role: StudioRole): boolean {
  if (policy === 'nobody') return false;
  if (policy === 'engineers') return role === 'owner' || role === 'engineer';
  return true;
}

/** The ticket's `rec` claim, read strictly: only `true` allows recording (absent or anything else: no). */
export function ticketMayRecord(claims: { rec?: unknown }): boolean {
  return claims.rec === true;
}

/** The signaling topic that carries one studio's mesh. A ticket for studio S opens only this topic. */
export function studioTopic(studioId: string): string {
  return `studio/${studioId}`;
}

/** The studio id a topic belongs to, or `null` when the topic is not a studio topic. */
export function studioIdFromTopic(topic: string): string | null {
  const match = /^studio\/([a-z0-9]{1,32})$/.exec(topic);
  return match ? match[1]! : null;
}

export function isStudioRole(value: unknown): value is StudioRole {
  return value === 'owner' || value === 'engineer' || value === 'member';
}

/** What `POST /api/bandmesh/studios/{slug}/ticket` answers. */
export interface TicketResponse {
  ticket: string;
  /** WebSocket URL of the relay's signaling endpoint. */
  relayUrl: string;
  /** ICE servers for RTCPeerConnection: TURN with REST credentials when configured, never public STUN. */
  iceServers: RTCIceServerLike[];
  /** Unix seconds when the ticket stops opening the topic. */
  expiresAt: number;
  role: StudioRole;
  studioId: string;
  /** The ticket's `maxPlayers` claim: players the studio's mesh admits at once. */
  maxPlayers: number;
  /**
   * The ticket's `rec` claim: whether we may record when the ticket was minted (absent from older
   * servers: false). The relay's `subscribed.mayRecord` and `recording-permission` are the live word.
   */
  rec?: boolean;
  /**
   * Why `iceServers` is empty although the server has TURN (absent otherwise): today only
   * `email-not-verified` (BANDMESH_REQUIRE_VERIFIED), with a sentence to show.
   */
  turnWithheld?: { code: string; message: string };
}

/** Structural copy of `RTCIceServer`, so this module needs no DOM types. */
export interface RTCIceServerLike {
  urls: string | string[];
  username?: string;
  credential?: string;
}
