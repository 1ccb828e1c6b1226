/**
 * Test fixture: room tickets minted exactly as PocketBase does (pocketbase/internal/tickets):
 * fixed header `{"alg":"HS256","typ":"JWT"}`, claims serialised in wire order, unpadded base64url,
 * HMAC-SHA256 keyed with the UTF-8 bytes of the secret. Relay tests use it instead of PocketBase.
 */
import { createHmac } from 'node:crypto';
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

/**
 * Claims with defaults: a member of `studio`, `maxPlayers` {@link MESH_MAX_PLAYERS}, issued now,
 * valid for 300 s (PocketBase's TTL). Pass `maxPlayers: undefined` explicitly for a ticket minted
 * before that claim existed (the claim is then left out).
 */
export function ticketClaims(claims: Partial<TicketClaims> & { studio: string }): TicketClaims {
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  return {
    v: claims.v ?? TICKET_VERSION,
    aud: claims.aud ?? TICKET_AUDIENCE,
    sub: claims.sub ?? 'user0000000001',
    studio: claims.studio,
    slug: claims.slug ?? `slug-${claims.studio}`,
    role: claims.role ?? StudioRole.Member,
    // JSON.stringify drops an undefined member, so an explicit `undefined` omits the claim.
    maxPlayers: 'maxPlayers' in claims ? claims.maxPlayers : MESH_MAX_PLAYERS,
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
