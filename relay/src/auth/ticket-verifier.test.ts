import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { ROOM_MAX_PLAYERS, ROOM_PLAYERS_CAP } from '../../../src/lib/protocol/ticket.js';
import { signRaw, signTicket, ticketClaims } from '../../../tests/support/tickets.js';
import { createTicketVerifier, MAX_TICKET_LENGTH } from './ticket-verifier.js';

const SECRET = 'unit-test-secret-0123456789abcdef0123456789';
const NOW = 1_800_000_000;
const STUDIO = 'abc123studio';
const verifier = createTicketVerifier({ secret: SECRET, nowSeconds: () => NOW });
const claims = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ ...ticketClaims({ studio: STUDIO, iat: NOW - 10 }), ...extra });
const b64 = (text: string): string => Buffer.from(text).toString('base64url');

/**
 * A ticket v2 in PocketBase's wire order (the field order of `TicketClaims`: v, aud, sub, studio,
 * slug, role, jti, name, instrument, maxPlayers, iat, exp). pocketbase/internal/tickets/tickets_test.go
 * pins the same bytes for the same claims (`relayVector`).
 */
const POCKETBASE_SECRET = '0123456789abcdef0123456789abcdef';
const POCKETBASE_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJqNzg5IiwibmFtZSI6IkFkYSIsImluc3RydW1lbnQiOiJiYXNzIiwibWF4UGxheWVycyI6NCwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDB9.' +
  'tCccfG1XdfHGH2TqzORVF1_hCSqjsHIeyLwc6BCcRJk';
/** PocketBase's own v2 vector (`vector` in tickets_test.go): a non-ASCII name with <, & and > unescaped. */
const POCKETBASE_UNICODE_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJBQUVDQXdRRkJnY0lDUW9MREEwT0R3IiwibmFtZSI6Ilpvw6sgPCY-IM6pIiwiaW5zdHJ1bWVudCI6ImNlbGxvIiwibWF4UGxheWVycyI6NCwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDB9.' +
  'Q0zmIR4LAUvq4S8a1ToOjJ-pOxvPbj8xlDrwToPHZk0';
/**
 * A ticket of a room PocketBase pinned to `relay-2` (several relays): the relay claim sits between
 * maxPlayers and iat. tickets_test.go pins the same bytes (`relayClaimVector`).
 */
const POCKETBASE_RELAY_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJqNzg5IiwibmFtZSI6IkFkYSIsImluc3RydW1lbnQiOiJiYXNzIiwibWF4UGxheWVycyI6MjQsInJlbGF5IjoicmVsYXktMiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwMzAwfQ.' +
  'pYQflPv8Xg3p0nhPp6knyO4wQZ5Gghp6demehp7UHSo';
/** A ticket that may record (`rec: true` between maxPlayers and iat); tickets_test.go pins the same (`recClaimVector`). */
const POCKETBASE_REC_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJ2IjoyLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJqdGkiOiJqNzg5IiwibmFtZSI6IkFkYSIsImluc3RydW1lbnQiOiJiYXNzIiwibWF4UGxheWVycyI6NCwicmVjIjp0cnVlLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0.' +
  'xAcdYVJpkoRvxot330X21p8sLQ3B1CIuuMKjboCWlmU';
/** A version-1 ticket as PocketBase minted it before ticket v2 (no jti, no profile). */
const POCKETBASE_V1_VECTOR =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJ2IjoxLCJhdWQiOiJiYW5kbWVzaC1yZWxheSIsInN1YiI6InUxMjMiLCJzdHVkaW8iOiJzNDU2Iiwic2x1ZyI6Im15LWJhbmQiLCJyb2xlIjoib3duZXIiLCJtYXhQbGF5ZXJzIjo0LCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDMwMH0.' +
  'N-sEhU542saDJBTH-U2fBmGHNk-hZ_JqsWzKjLmBPDI';

describe('PocketBase compatibility', () => {
  const claims = {
    sub: 'u123',
    studio: 's456',
    slug: 'my-band',
    role: 'owner' as const,
    jti: 'j789',
    name: 'Ada',
    instrument: 'bass',
    iat: 1_700_000_000,
  };
  const at = (now: number) => createTicketVerifier({ secret: POCKETBASE_SECRET, nowSeconds: () => now });

  it('the test fixture mints the pinned rec bytes, and the verifier reads rec: true from them', () => {
    expect(signTicket(POCKETBASE_SECRET, { ...claims, maxPlayers: 4, rec: true })).toBe(
      POCKETBASE_REC_VECTOR,
    );
    expect(at(1_700_000_001).verify(POCKETBASE_REC_VECTOR, 's456')).toMatchObject({
      ok: true,
      claims: { rec: true, role: 'owner' },
    });
  });

  it('the test fixture mints the pinned v2 bytes', () => {
    expect(signTicket(POCKETBASE_SECRET, { ...claims, maxPlayers: 4 })).toBe(POCKETBASE_VECTOR);
  });

  it('the verifier accepts a v2 ticket until exp, returns its identity claims, and refuses it after', () => {
    expect(at(1_700_000_299).verify(POCKETBASE_VECTOR, 's456')).toEqual({
      ok: true,
      claims: {
        v: 2,
        aud: 'bandmesh-relay',
        sub: 'u123',
        studio: 's456',
        slug: 'my-band',
        role: 'owner',
        jti: 'j789',
        name: 'Ada',
        instrument: 'bass',
        maxPlayers: 4,
        rec: false,
        iat: 1_700_000_000,
        exp: 1_700_000_300,
      },
    });
    expect(at(1_700_000_400).verify(POCKETBASE_VECTOR, 's456')).toMatchObject({
      code: ErrorCode.TicketExpired,
    });
  });

  it("accepts PocketBase's own vector, and the fixture mints it byte for byte", () => {
    const unicode = {
      ...claims,
      jti: 'AAECAwQFBgcICQoLDA0ODw',
      name: 'Zoë <&> Ω',
      instrument: 'cello',
      maxPlayers: 4,
    };
    expect(signTicket(POCKETBASE_SECRET, unicode)).toBe(POCKETBASE_UNICODE_VECTOR);
    expect(at(1_700_000_100).verify(POCKETBASE_UNICODE_VECTOR, 's456')).toMatchObject({
      ok: true,
      claims: { jti: 'AAECAwQFBgcICQoLDA0ODw', name: 'Zoë <&> Ω', instrument: 'cello' },
    });
  });

  it('refuses a version-1 ticket (no jti: it could open any number of sockets)', () => {
    expect(at(1_700_000_100).verify(POCKETBASE_V1_VECTOR, 's456')).toMatchObject({
      ok: false,
      code: ErrorCode.TicketInvalid,
      reason: 'The ticket version is not supported.',
    });
  });

  it("gives a ticket without maxPlayers the relay's room limit", () => {
    const legacy = signTicket(POCKETBASE_SECRET, { ...claims, maxPlayers: undefined });
    expect(at(1_700_000_100).verify(legacy, 's456')).toMatchObject({
      ok: true,
      claims: { sub: 'u123', maxPlayers: ROOM_MAX_PLAYERS },
    });
    const small = createTicketVerifier({
      secret: POCKETBASE_SECRET,
      roomLimit: 8,
      nowSeconds: () => 1_700_000_100,
    });
    expect(small.verify(legacy, 's456')).toMatchObject({ ok: true, claims: { maxPlayers: 8 } });
  });

  it('accepts the relay-claim vector at the relay it names, and the fixture mints it byte for byte', () => {
    expect(signTicket(POCKETBASE_SECRET, { ...claims, maxPlayers: 24, relay: 'relay-2' })).toBe(
      POCKETBASE_RELAY_VECTOR,
    );
    const relay2 = createTicketVerifier({
      secret: POCKETBASE_SECRET,
      relayId: 'relay-2',
      nowSeconds: () => 1_700_000_100,
    });
    expect(relay2.verify(POCKETBASE_RELAY_VECTOR, 's456')).toMatchObject({
      ok: true,
      claims: { sub: 'u123', maxPlayers: 24, relay: 'relay-2' },
    });
  });
});

describe('createTicketVerifier', () => {
  it('accepts a ticket minted like PocketBase does and returns its claims', () => {
    const ticket = signTicket(SECRET, { studio: STUDIO, sub: 'u1', role: 'engineer', iat: NOW - 10 });
    const verdict = verifier.verify(ticket, STUDIO);
    expect(verdict).toEqual({
      ok: true,
      claims: expect.objectContaining({ studio: STUDIO, sub: 'u1', role: 'engineer', exp: NOW + 290 }),
    });
    const limited = signTicket(SECRET, { studio: STUDIO, maxPlayers: 2, iat: NOW - 10 });
    expect(verifier.verify(limited, STUDIO)).toMatchObject({ ok: true, claims: { maxPlayers: 2 } });
    // A profile without a name or instrument is still a valid identity.
    const anonymous = signTicket(SECRET, { studio: STUDIO, name: '', instrument: '', iat: NOW - 10 });
    expect(verifier.verify(anonymous, STUDIO)).toMatchObject({
      ok: true,
      claims: { name: '', instrument: '' },
    });
  });

  it('reports a missing ticket as ticket-missing', () => {
    expect(verifier.verify(undefined, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketMissing });
    expect(verifier.verify('', STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketMissing });
  });

  it('rejects a forged signature and a ticket signed with another secret', () => {
    const ticket = signTicket(SECRET, { studio: STUDIO, iat: NOW });
    const [h, p, s] = ticket.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(verifier.verify(flipped, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketInvalid });
    const other = signTicket('another-secret-0123456789abcdef0123456789', { studio: STUDIO, iat: NOW });
    expect(verifier.verify(other, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketInvalid });
    // A payload swapped under a valid signature is caught too.
    const otherPayload = signTicket(SECRET, { studio: 'otherstudio', iat: NOW }).split('.')[1];
    expect(verifier.verify(`${h}.${otherPayload}.${s}`, STUDIO)).toMatchObject({
      code: ErrorCode.TicketInvalid,
    });
  });

  it('rejects alg none, RS256 and other algorithms even with an otherwise valid shape', () => {
    const none = `${b64('{"alg":"none","typ":"JWT"}')}.${b64(claims())}.`;
    expect(verifier.verify(none, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketInvalid });
    // An HMAC over the input with alg RS256 still fails: the header, not the key, decides.
    for (const alg of ['RS256', 'HS512', 'hs256']) {
      const forged = signRaw(SECRET, JSON.stringify({ alg, typ: 'JWT' }), claims());
      expect(verifier.verify(forged, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketInvalid });
    }
  });

  it('rejects expired tickets, allowing at most the clock skew', () => {
    const expired = signTicket(SECRET, { studio: STUDIO, iat: NOW - 400, exp: NOW - 6 });
    expect(verifier.verify(expired, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketExpired });
    const withinSkew = signTicket(SECRET, { studio: STUDIO, iat: NOW - 300, exp: NOW - 3 });
    expect(verifier.verify(withinSkew, STUDIO).ok).toBe(true);
  });

  it('rejects wrong audience, version, role, missing claims and bad lifetimes', () => {
    const cases: Record<string, unknown>[] = [
      { aud: 'someone-else' },
      { aud: ['bandmesh-relay'] },
      { v: 1 },
      { v: 3 },
      { v: '2' },
      { jti: undefined },
      { jti: '' },
      { jti: 7 },
      { jti: 'j'.repeat(65) },
      { name: undefined },
      { name: 'n'.repeat(81) },
      { name: null },
      { instrument: undefined },
      { instrument: 'i'.repeat(81) },
      { instrument: 3 },
      { sub: 'u'.repeat(65) },
      { role: 'admin' },
      { maxPlayers: 0 },
      { maxPlayers: -1 },
      { maxPlayers: ROOM_PLAYERS_CAP + 1 },
      { maxPlayers: 2.5 },
      { maxPlayers: '4' },
      { maxPlayers: null },
      { relay: '' },
      { relay: 'Relay-2' },
      { relay: '-relay' },
      { relay: 'r'.repeat(33) },
      { relay: 2 },
      { relay: null },
      { rec: 'true' },
      { rec: 1 },
      { rec: null },
      { sub: undefined },
      { sub: '' },
      { slug: 42 },
      { studio: 'UPPER' },
      { exp: '9999999999' },
      { iat: NOW + 60, exp: NOW + 120 },
      { iat: NOW - 10, exp: NOW + 3600 },
      { iat: NOW, exp: NOW },
    ];
    for (const extra of cases) {
      const ticket = signRaw(SECRET, '{"alg":"HS256","typ":"JWT"}', claims(extra));
      expect(verifier.verify(ticket, STUDIO), JSON.stringify(extra)).toMatchObject({
        ok: false,
        code: ErrorCode.TicketInvalid,
      });
    }
  });

  it('reads the recording claim strictly: only rec: true allows recording, absent means no', () => {
    const ticket = (rec: boolean | undefined): string =>
      signTicket(SECRET, { studio: STUDIO, iat: NOW - 10, ...(rec === undefined ? {} : { rec }) });
    expect(verifier.verify(ticket(true), STUDIO)).toMatchObject({ ok: true, claims: { rec: true } });
    expect(verifier.verify(ticket(false), STUDIO)).toMatchObject({ ok: true, claims: { rec: false } });
    expect(verifier.verify(ticket(undefined), STUDIO)).toMatchObject({ ok: true, claims: { rec: false } });
  });

  it('accepts maxPlayers up to ROOM_PLAYERS_CAP and clamps it to the room limit', () => {
    const ticket = (maxPlayers: number): string =>
      signTicket(SECRET, { studio: STUDIO, maxPlayers, iat: NOW - 10 });
    expect(verifier.verify(ticket(7), STUDIO)).toMatchObject({ ok: true, claims: { maxPlayers: 7 } });
    expect(verifier.verify(ticket(ROOM_MAX_PLAYERS), STUDIO)).toMatchObject({
      ok: true,
      claims: { maxPlayers: ROOM_MAX_PLAYERS },
    });
    // A claim above this relay's room limit is valid but admits only the room limit.
    expect(verifier.verify(ticket(ROOM_PLAYERS_CAP), STUDIO)).toMatchObject({
      ok: true,
      claims: { maxPlayers: ROOM_MAX_PLAYERS },
    });
    const big = createTicketVerifier({ secret: SECRET, roomLimit: ROOM_PLAYERS_CAP, nowSeconds: () => NOW });
    expect(big.verify(ticket(ROOM_PLAYERS_CAP), STUDIO)).toMatchObject({
      ok: true,
      claims: { maxPlayers: ROOM_PLAYERS_CAP },
    });
    expect(() => createTicketVerifier({ secret: SECRET, roomLimit: 0 })).toThrow(RangeError);
    expect(() => createTicketVerifier({ secret: SECRET, roomLimit: ROOM_PLAYERS_CAP + 1 })).toThrow(
      RangeError,
    );
  });

  it('refuses a ticket pinned to another relay with wrong-relay, and accepts one without the claim', () => {
    const relay1 = createTicketVerifier({ secret: SECRET, relayId: 'relay-1', nowSeconds: () => NOW });
    const pinned = (relay: string): string => signTicket(SECRET, { studio: STUDIO, relay, iat: NOW - 10 });
    expect(relay1.verify(pinned('relay-1'), STUDIO)).toMatchObject({
      ok: true,
      claims: { relay: 'relay-1' },
    });
    const refused = relay1.verify(pinned('relay-2'), STUDIO);
    expect(refused).toEqual({
      ok: false,
      code: ErrorCode.WrongRelay,
      reason: "This studio's room runs on another relay (relay-2); fetch a new ticket to reach it.",
    });
    // No claim (one relay behind PocketBase): any relay accepts it, and no claim is made up.
    const unpinned = relay1.verify(signTicket(SECRET, { studio: STUDIO, iat: NOW - 10 }), STUDIO);
    expect(unpinned.ok).toBe(true);
    expect(unpinned.ok && 'relay' in unpinned.claims).toBe(false);
    // A relay without an id (tests, tools) accepts any pinned ticket.
    expect(verifier.verify(pinned('relay-2'), STUDIO).ok).toBe(true);
    // A forged claim is not honoured: the signature is checked first.
    const forged = pinned('relay-1').split('.');
    const payload = JSON.parse(Buffer.from(forged[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    payload.relay = 'relay-2';
    forged[1] = Buffer.from(JSON.stringify(payload)).toString('base64url');
    expect(relay1.verify(forged.join('.'), STUDIO)).toMatchObject({
      ok: false,
      code: ErrorCode.TicketInvalid,
    });
  });

  it('checks the studio before the relay, and an expired pinned ticket is ticket-expired', () => {
    const relay1 = createTicketVerifier({ secret: SECRET, relayId: 'relay-1', nowSeconds: () => NOW });
    const elsewhere = signTicket(SECRET, { studio: 'otherstudio', relay: 'relay-2', iat: NOW - 10 });
    expect(relay1.verify(elsewhere, STUDIO)).toMatchObject({ code: ErrorCode.TicketWrongStudio });
    const old = signTicket(SECRET, { studio: STUDIO, relay: 'relay-2', iat: NOW - 400, exp: NOW - 100 });
    expect(relay1.verify(old, STUDIO)).toMatchObject({ code: ErrorCode.TicketExpired });
  });

  it('rejects a valid ticket for another studio as ticket-wrong-studio', () => {
    const ticket = signTicket(SECRET, { studio: 'otherstudio', iat: NOW });
    expect(verifier.verify(ticket, STUDIO)).toMatchObject({ ok: false, code: ErrorCode.TicketWrongStudio });
    expect(verifier.verify(ticket).ok).toBe(true);
  });

  it('rejects garbage without throwing', () => {
    const valid = signTicket(SECRET, { studio: STUDIO, iat: NOW });
    const garbage = [
      'x',
      '...',
      'a.b',
      'a.b.c.d',
      '%%%.%%%.%%%',
      `${b64('not json')}.${b64(claims())}.AAAA`,
      `${b64('[1]')}.${b64(claims())}.AAAA`,
      `${valid}=`,
      valid.replace('.', '+.'),
      'e'.repeat(MAX_TICKET_LENGTH + 1),
      `${signRaw(SECRET, '{"alg":"HS256"}', '"just a string"')}`,
      `${signRaw(SECRET, '{"alg":"HS256","crit":["exp"]}', claims())}`,
    ];
    for (const ticket of garbage) {
      expect(verifier.verify(ticket, STUDIO), ticket.slice(0, 40)).toMatchObject({
        ok: false,
        code: ErrorCode.TicketInvalid,
      });
    }
  });
});
