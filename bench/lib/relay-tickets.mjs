/**
 * Room tickets for `bench:relay`, minted as PocketBase does (and tests/support/tickets.ts): HS256
 * compact JWT, header `{"alg":"HS256","typ":"JWT"}`, claims in wire order, unpadded base64url.
 * Every player is a new user with a fresh ticket id, so no two count as one user's visits.
 */
import { createHmac, randomBytes } from 'node:crypto';

const HEADER = '{"alg":"HS256","typ":"JWT"}';
const b64url = (text) => Buffer.from(text).toString('base64url');

/** A random id shaped like PocketBase's record ids (15 of [a-z0-9]). */
export const recordId = () => randomBytes(8).toString('hex').slice(0, 15);

/**
 * @param {string} secret
 * @param {{ studio: string, name: string, maxPlayers: number, ttlSeconds?: number }} options
 */
export function mintTicket(secret, { studio, name, maxPlayers, ttlSeconds = 300 }) {
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    v: 2,
    aud: 'bandmesh-relay',
    sub: recordId(),
    studio,
    slug: `bench-${studio}`,
    role: 'member',
    jti: randomBytes(12).toString('base64url'),
    name,
    instrument: 'synth',
    maxPlayers,
    iat,
    exp: iat + ttlSeconds,
  };
  const input = `${b64url(HEADER)}.${b64url(JSON.stringify(claims))}`;
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(input).digest('base64url');
  return `${input}.${mac}`;
}
