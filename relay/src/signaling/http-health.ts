/**
 * The relay's plain-HTTP surface: `GET /healthz` for supervisors and tests, `GET /load` (how busy
 * this relay is, for placing rooms and for the benchmark), `GET /rooms/<studioId>` (whether the
 * studio's room is live here, so PocketBase pins it to this relay), `GET /rooms` (seats of every live
 * room here, so PocketBase's studio directory asks each relay once, not once per studio), JSON 404
 * for the rest.
 * It reports counts only — never who is connected. `/load` and `/rooms…` answer only signed
 * requests (control/query-auth.ts): whether a band is live is not for anyone who knows its id.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SIGNALING_VERSION } from '../../../src/lib/protocol/signaling.js';
import type { QueryRefusal } from '../control/query-auth.js';

export interface RelayStats {
  connections: number;
  topics: number;
}

export interface RelayLoad {
  relayId: string;
  rooms: number;
  peers: number;
  sfuPeers: number;
  /** Event-loop utilisation over the last ~second, 0…1. */
  elu: number;
  forwarded: number;
  /** Bundles sent (forwarded / bundles = frames per bundle). */
  bundles: number;
  dropped: Record<string, number>;
}

const ROOM_PATH = /^\/rooms\/([a-z0-9]{1,32})$/;

/** The path of a request target, or null when it cannot be parsed. */
export function requestPath(url: string | undefined): string | null {
  if (url === undefined || !url.startsWith('/')) return null;
  try {
    return new URL(url, 'http://relay.invalid').pathname;
  } catch {
    return null;
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

export function createHttpHandler(options: {
  stats: () => RelayStats;
  load: () => RelayLoad;
  /** Seats in the studio's room, or null when it is not live here. */
  roomPeers: (studioId: string) => number | null;
  /** Seats of every live room, by studio id. */
  allRooms: () => Record<string, number>;
  /** Checks a `/load` or `/rooms/…` request's signature (control/query-auth.ts). */
  verify: (method: string, path: string, headers: IncomingMessage['headers']) => QueryRefusal | null;
}): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = requestPath(request.url);
    const room = path === null ? null : ROOM_PATH.exec(path);
    if (path === null || (path !== '/healthz' && path !== '/load' && path !== '/rooms' && room === null)) {
      json(response, 404, { ok: false, error: 'not-found' });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      json(response, 405, { ok: false, error: 'method-not-allowed' });
      return;
    }
    if (path !== '/healthz') {
      const refusal = options.verify(request.method, path, request.headers);
      if (refusal !== null) {
        json(response, 401, {
          ok: false,
          error: refusal,
          message:
            refusal === 'stale'
              ? 'The x-bandmesh-time header is too far from the relay clock.'
              : 'This query needs a Bandmesh-HMAC signature (docs/protocol.md).',
        });
        return;
      }
    }
    if (room) {
      const peers = options.roomPeers(room[1]!);
      json(response, 200, { live: peers !== null, peers: peers ?? 0 });
      return;
    }
    if (path === '/rooms') {
      json(response, 200, { ok: true, rooms: options.allRooms() });
      return;
    }
    if (path === '/load') {
      json(response, 200, { ok: true, ...options.load() });
      return;
    }
    const { connections, topics } = options.stats();
    json(response, 200, { ok: true, version: SIGNALING_VERSION, connections, topics });
  };
}
