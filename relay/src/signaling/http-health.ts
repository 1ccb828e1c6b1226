/**
 * The relay's plain-HTTP surface: `GET /healthz` for supervisors and tests, JSON 404 for the rest.
 * It reports counts only — never who is connected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SIGNALING_VERSION } from '../../../src/lib/protocol/signaling.js';

export interface RelayStats {
  connections: number;
  topics: number;
}

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
}): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    if (requestPath(request.url) !== '/healthz') {
      json(response, 404, { ok: false, error: 'not-found' });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      json(response, 405, { ok: false, error: 'method-not-allowed' });
      return;
    }
    const { connections, topics } = options.stats();
    json(response, 200, { ok: true, version: SIGNALING_VERSION, connections, topics });
  };
}
