/**
 * Signed read-only queries (`GET /load`, `GET /rooms/<studioId>`): the scheme of
 * src/lib/protocol/relay-control.ts — `x-bandmesh-time` plus `Authorization: Bandmesh-HMAC <hex>`
 * over {@link relayQuerySigningInput}, keyed with the ticket secret. Who may ask whether a band is
 * live is whoever holds that secret (PocketBase, the benchmark, tests), not whoever knows a studio id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  RELAY_CONTROL_AUTH_SCHEME,
  RELAY_QUERY_MAX_SKEW_SECONDS,
  RELAY_QUERY_TIME_HEADER,
  relayQuerySigningInput,
} from '../../../src/lib/protocol/relay-control.js';

const HEX_SIGNATURE = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^[0-9]{1,12}$/;

function keyOf(secret: string | Buffer): Buffer {
  return Buffer.isBuffer(secret) ? Buffer.from(secret) : Buffer.from(secret, 'utf8');
}

function mac(key: Buffer, method: string, path: string, time: string): Buffer {
  return createHmac('sha256', key)
    .update(relayQuerySigningInput(method, path, time))
    .digest();
}

/** The headers a signed query sends (PocketBase builds the same in Go). */
export function relayQueryHeaders(
  secret: string | Buffer,
  method: string,
  path: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const time = String(nowSeconds);
  return {
    [RELAY_QUERY_TIME_HEADER]: time,
    authorization: `${RELAY_CONTROL_AUTH_SCHEME} ${mac(keyOf(secret), method, path, time).toString('hex')}`,
  };
}

/** Why a query was refused, or null when it is signed correctly and fresh. */
export type QueryRefusal = 'bad-signature' | 'stale';

export function createQueryVerifier(
  secret: string | Buffer,
  nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
): (method: string, path: string, headers: IncomingHttpHeaders) => QueryRefusal | null {
  const key = keyOf(secret);
  const prefix = `${RELAY_CONTROL_AUTH_SCHEME} `;
  return (method, path, headers) => {
    const header = headers.authorization;
    const time = headers[RELAY_QUERY_TIME_HEADER];
    if (header === undefined || !header.startsWith(prefix)) return 'bad-signature';
    if (typeof time !== 'string' || !UNIX_SECONDS.test(time)) return 'bad-signature';
    const hex = header.slice(prefix.length).trim();
    if (!HEX_SIGNATURE.test(hex)) return 'bad-signature';
    if (!timingSafeEqual(Buffer.from(hex, 'hex'), mac(key, method, path, time))) return 'bad-signature';
    // Checked after the signature so an unsigned caller learns nothing about the relay's clock.
    if (Math.abs(nowSeconds() - Number(time)) > RELAY_QUERY_MAX_SKEW_SECONDS) return 'stale';
    return null;
  };
}
