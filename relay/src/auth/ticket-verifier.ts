/**
 * Offline verification of room tickets (compact JWT, HS256 only; see src/lib/protocol/ticket.ts).
 *
 * Order matters: the signature is checked before any claim is read, so an unauthenticated payload
 * never influences which error a client sees beyond "invalid". Only HS256 is accepted — the header's
 * `alg` is checked against that constant, never used to pick an algorithm ("alg: none" and
 * RS256/HS256 confusion are impossible by construction).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isProfileText } from '../../../src/lib/protocol/attested.js';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import {
  ROOM_MAX_PLAYERS,
  ROOM_PLAYERS_CAP,
  TICKET_AUDIENCE,
  TICKET_MAX_TTL_SECONDS,
  TICKET_VERSION,
  isStudioRole,
  ticketMayRecord,
  type TicketClaims,
} from '../../../src/lib/protocol/ticket.js';

/** Real tickets are ~300 bytes; anything far larger is not one and is not worth hashing. */
export const MAX_TICKET_LENGTH = 2048;
/** Clock difference tolerated between PocketBase and the relay. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 5;

/**
 * Verified claims: `maxPlayers` is always set, to the ticket's claim clamped to the relay's room
 * limit (tickets minted before the claim get the room limit); `rec` is always set (absent: false).
 */
export type VerifiedTicketClaims = TicketClaims & { maxPlayers: number; rec: boolean };

export type TicketVerdict =
  | { ok: true; claims: VerifiedTicketClaims }
  | {
      ok: false;
      code:
        | typeof ErrorCode.TicketMissing
        | typeof ErrorCode.TicketInvalid
        | typeof ErrorCode.TicketExpired
        | typeof ErrorCode.TicketWrongStudio
        | typeof ErrorCode.WrongRelay;
      reason: string;
    };

export interface TicketVerifier {
  /** Checks `ticket` and, when `studioId` is given, that it opens that studio. Never throws. */
  verify(ticket: string | undefined, studioId?: string): TicketVerdict;
}

export interface TicketVerifierOptions {
  secret: string | Buffer;
  /**
   * This relay's id (`BANDMESH_RELAY_ID`): a ticket whose `relay` claim names another relay is
   * refused with `wrong-relay`. Without it (or without the claim) any relay accepts the ticket.
   */
  relayId?: string;
  /** The relay's room limit (`BANDMESH_ROOM_LIMIT`), {@link ROOM_MAX_PLAYERS} when unset. */
  roomLimit?: number;
  clockSkewSeconds?: number;
  /** Current time in Unix seconds (tests inject it). */
  nowSeconds?: () => number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Longest `jti` accepted: PocketBase mints short random ids; this only bounds memory per room. */
export const MAX_JTI_LENGTH = 64;
const STUDIO_ID = /^[a-z0-9]{1,32}$/;
/** A relay id, as `BANDMESH_RELAY_ID` allows it (relay/src/config.ts). */
const RELAY_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

function decodeSegment(segment: string): Buffer | null {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return null;
  const bytes = Buffer.from(segment, 'base64url');
  // Reject non-canonical encodings (stray trailing bits), so one ticket has one spelling.
  return bytes.toString('base64url') === segment ? bytes : null;
}

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  const bytes = decodeSegment(segment);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isUnixSeconds = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) > 0;
/** A `maxPlayers` claim: an integer from 1 to {@link ROOM_PLAYERS_CAP} (PocketBase clamps to its room limit). */
const isPlayerLimit = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= ROOM_PLAYERS_CAP;

function invalid(reason: string): TicketVerdict {
  return { ok: false, code: ErrorCode.TicketInvalid, reason };
}

export function createTicketVerifier(options: TicketVerifierOptions): TicketVerifier {
  const key = Buffer.isBuffer(options.secret)
    ? Buffer.from(options.secret)
    : Buffer.from(options.secret, 'utf8');
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const roomLimit = options.roomLimit ?? ROOM_MAX_PLAYERS;
  if (!isPlayerLimit(roomLimit)) throw new RangeError(`roomLimit must be 1..${ROOM_PLAYERS_CAP}`);
  const relayId = options.relayId;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  const verify = (ticket: string | undefined, studioId?: string): TicketVerdict => {
    if (ticket === undefined || ticket === '') {
      return { ok: false, code: ErrorCode.TicketMissing, reason: 'A room ticket is required.' };
    }
    if (ticket.length > MAX_TICKET_LENGTH) return invalid('The ticket is too long.');
    const parts = ticket.split('.');
    if (parts.length !== 3) return invalid('The ticket is not a compact JWT.');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

    const header = decodeJsonObject(headerPart);
    if (!header) return invalid('The ticket header is not base64url JSON.');
    if (header.alg !== 'HS256') return invalid('Only HS256 tickets are accepted.');
    if (header.typ !== undefined && header.typ !== 'JWT') return invalid('The ticket type is not JWT.');
    if (header.crit !== undefined) return invalid('The ticket has critical header extensions.');

    const signature = decodeSegment(signaturePart);
    const expected = createHmac('sha256', key).update(`${headerPart}.${payloadPart}`).digest();
    if (!signature || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return invalid('The ticket signature does not match.');
    }

    const claims = decodeJsonObject(payloadPart);
    if (!claims) return invalid('The ticket payload is not base64url JSON.');
    if (claims.v !== TICKET_VERSION) return invalid('The ticket version is not supported.');
    if (claims.aud !== TICKET_AUDIENCE) return invalid('The ticket is not for the relay.');
    if (!isNonEmptyString(claims.sub) || claims.sub.length > 64 || !isNonEmptyString(claims.slug)) {
      return invalid('The ticket lacks a subject or slug.');
    }
    if (typeof claims.studio !== 'string' || !STUDIO_ID.test(claims.studio)) {
      return invalid('The ticket lacks a valid studio.');
    }
    if (!isStudioRole(claims.role)) return invalid('The ticket role is unknown.');
    if (!isNonEmptyString(claims.jti) || claims.jti.length > MAX_JTI_LENGTH) {
      return invalid('The ticket lacks a valid unique id (jti).');
    }
    if (!isProfileText(claims.name) || !isProfileText(claims.instrument)) {
      return invalid('The ticket lacks a valid name or instrument.');
    }
    if (claims.maxPlayers !== undefined && !isPlayerLimit(claims.maxPlayers)) {
      return invalid('The ticket player limit is out of range.');
    }
    if (claims.relay !== undefined && (typeof claims.relay !== 'string' || !RELAY_ID.test(claims.relay))) {
      return invalid('The ticket names no valid relay.');
    }
    if (claims.rec !== undefined && typeof claims.rec !== 'boolean') {
      return invalid('The ticket recording claim is not true or false.');
    }
    if (!isUnixSeconds(claims.iat) || !isUnixSeconds(claims.exp)) return invalid('The ticket lacks iat/exp.');
    if (claims.exp <= claims.iat || claims.exp - claims.iat > TICKET_MAX_TTL_SECONDS) {
      return invalid('The ticket lifetime is out of range.');
    }

    const now = nowSeconds();
    if (claims.iat > now + skew) return invalid('The ticket was issued in the future.');
    if (claims.exp + skew <= now) {
      return { ok: false, code: ErrorCode.TicketExpired, reason: 'The ticket has expired.' };
    }
    if (studioId !== undefined && claims.studio !== studioId) {
      return { ok: false, code: ErrorCode.TicketWrongStudio, reason: 'The ticket is for another studio.' };
    }
    // Checked last, after the ticket proved genuine and current: the room is pinned elsewhere, and
    // only a fresh ticket (with that relay's address) gets the player there.
    if (relayId !== undefined && claims.relay !== undefined && claims.relay !== relayId) {
      return {
        ok: false,
        code: ErrorCode.WrongRelay,
        reason: `This studio's room runs on another relay (${claims.relay}); fetch a new ticket to reach it.`,
      };
    }
    return {
      ok: true,
      claims: {
        v: claims.v,
        aud: TICKET_AUDIENCE,
        sub: claims.sub,
        studio: claims.studio,
        slug: claims.slug,
        role: claims.role,
        jti: claims.jti,
        name: claims.name,
        instrument: claims.instrument,
        maxPlayers: isPlayerLimit(claims.maxPlayers) ? Math.min(claims.maxPlayers, roomLimit) : roomLimit,
        ...(typeof claims.relay === 'string' ? { relay: claims.relay } : {}),
        rec: ticketMayRecord(claims),
        iat: claims.iat,
        exp: claims.exp,
      },
    };
  };

  return { verify };
}
