/**
 * Test fixture: room tickets minted exactly as PocketBase does (pocketbase/internal/tickets):
 * fixed header `{"alg":"HS256","typ":"JWT"}`, claims serialised in wire order (the field order of
 * `TicketClaims` in src/lib/protocol/ticket.ts), unpadded base64url, HMAC-SHA256 keyed with the
 * UTF-8 bytes of the secret. Relay tests use it instead of PocketBase.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  MESH_MAX_PLAYERS,
  StudioRole,
  TICKET_AUDIENCE,
  TICKET_VERSION,
  type TicketClaims,
} from '../../src/lib/protocol/ticket';

const HEADER = '{"alg":"HS256","typ":"JWT"}';

export const TEST_TICKET_SECRET = 'test-ticket-secret-0123456789abcdef0123456789';

const b64url = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64url');

/** A random id shaped like PocketBase's record ids (15 characters of [a-z0-9]). */
export function testRecordId(): string {
  return randomBytes(8).toString('hex').slice(0, 15);
}

/** A fresh ticket id, as unique as PocketBase's. */
export const testJti = (): string => randomBytes(12).toString('base64url');

/**
 * Claims with defaults: a member of `studio` who is a NEW random user with a fresh `jti` on every
 * call (so unrelated test clients never count as one user's visits or one ticket's reuse),
 * `maxPlayers` {@link MESH_MAX_PLAYERS}, issued now, valid for 300 s (PocketBase's TTL). Pass
 * `maxPlayers: undefined` explicitly to leave that claim out.
 */
export function ticketClaims(claims: Partial<TicketClaims> & { studio: string }): TicketClaims {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  return {
    v: claims.v ?? TICKET_VERSION,
    aud: claims.aud ?? TICKET_AUDIENCE,
    sub: claims.sub ?? testRecordId(),
    studio: claims.studio,
    slug: claims.slug ?? `slug-${claims.studio}`,
    role: claims.role ?? StudioRole.Member,
    jti: claims.jti ?? testJti(),
    name: claims.name ?? 'Test Player',
    instrument: claims.instrument ?? 'guitar',
    // JSON.stringify drops an undefined member, so an explicit `undefined` omits the claim.
    maxPlayers: 'maxPlayers' in claims ? claims.maxPlayers : MESH_MAX_PLAYERS,
    // Only when given, in its wire place (after maxPlayers), like PocketBase's omitempty.
    ...(claims.relay !== undefined ? { relay: claims.relay } : {}),
    // Like PocketBase's `rec,omitempty`: present only when true (or when a test forges it).
    ...(claims.rec !== undefined ? { rec: claims.rec } : {}),
    iat,
    exp: claims.exp ?? iat + 300,
  };
}

/** Signs arbitrary header and payload JSON text; for forging malformed tickets in tests. */
export function signRaw(secret: string, headerJson: string, payloadJson: string): string {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  return `${input}.${b64url(createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest())}`;
}

export function signTicket(secret: string, claims: Partial<TicketClaims> & { studio: string }): string {
  return signRaw(secret, HEADER, JSON.stringify(ticketClaims(claims)));
}
