import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address a connection counts against in the per-address cap. Behind a reverse proxy on the same
 * machine (the HTTPS recipe, docs/production.md) every socket comes from loopback, so the cap would
 * hold all players together; with `trustedHeader` set, the proxy's header names the client. The
 * header is believed only from a loopback peer, and only its last entry (the one the proxy wrote), so
 * a client that reaches the relay directly, or sends its own header through the proxy, gains nothing.
 */
export function clientAddress(request: IncomingMessage, trustedHeader: string | null): string | undefined {
  const peer = request.socket.remoteAddress;
  if (trustedHeader === null || !isLoopback(peer)) return peer;
  const raw = request.headers[trustedHeader.toLowerCase()];
  const last = (Array.isArray(raw) ? raw.at(-1) : raw)?.split(',').at(-1)?.trim();
  return last !== undefined && isIP(last) !== 0 ? last : peer;
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
