/**
 * `POST /control`: how PocketBase tells the relay about membership changes and deleted studios
 * (src/lib/protocol/relay-control.ts, ADR 0008).
 *
 * Checks, in order: method (405), size while reading (413, the body is never buffered past the
 * limit), time to read it (408 after {@link CONTROL_BODY_TIMEOUT_MS}: a body that never ends must not
 * hold a socket until Node's 5-minute request timeout), signature over the raw bytes (401,
 * timing-safe, before any byte of the body is parsed), shape (400), freshness of `iat` (401 `stale`:
 * an old signed message must not be replayable later).
 * Answers are JSON `{ok, code?, message?, affected?}`; nothing about the body is logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  RELAY_CONTROL_AUTH_SCHEME,
  RELAY_CONTROL_CONTEXT,
  RELAY_CONTROL_MAX_AGE_SECONDS,
  RELAY_CONTROL_MAX_BYTES,
  parseRelayControl,
  type RelayControl,
} from '../../../src/lib/protocol/relay-control.js';
import type { Logger } from '../log.js';

export interface ControlAnswer {
  ok: boolean;
  code?: string;
  message?: string;
  affected?: number;
}

export interface ControlEndpointOptions {
  secret: string | Buffer;
  logger: Logger;
  /** Applies a verified, fresh control message; returns how many live connections it touched. */
  apply: (control: RelayControl) => { affected: number; applied: boolean };
  nowSeconds?: () => number;
  /** How long the whole body may take to arrive; {@link CONTROL_BODY_TIMEOUT_MS} unless tests say. */
  bodyTimeoutMs?: number;
}

/**
 * PocketBase sends a body of about 150 bytes in one write and gives up after 2 s; anything slower
 * is not PocketBase.
 */
export const CONTROL_BODY_TIMEOUT_MS = 5_000;

const HEX_SIGNATURE = /^[0-9a-f]{64}$/i;

function answer(response: ServerResponse, status: number, body: ControlAnswer, headers = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

/** Computes the `Authorization` header value for `body` (PocketBase does the same in Go). */
export function signControlBody(secret: string | Buffer, body: Buffer | string): string {
  const mac = createHmac('sha256', Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8'))
    .update(RELAY_CONTROL_CONTEXT)
    .update(body)
    .digest('hex');
  return `${RELAY_CONTROL_AUTH_SCHEME} ${mac}`;
}

export function createControlEndpoint(
  options: ControlEndpointOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const key = Buffer.isBuffer(options.secret)
    ? Buffer.from(options.secret)
    : Buffer.from(options.secret, 'utf8');
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const bodyTimeoutMs = options.bodyTimeoutMs ?? CONTROL_BODY_TIMEOUT_MS;
  const { logger } = options;

  const signatureMatches = (header: string | undefined, body: Buffer): boolean => {
    const prefix = `${RELAY_CONTROL_AUTH_SCHEME} `;
    if (header === undefined || !header.startsWith(prefix)) return false;
    const hex = header.slice(prefix.length).trim();
    if (!HEX_SIGNATURE.test(hex)) return false;
    const expected = createHmac('sha256', key).update(RELAY_CONTROL_CONTEXT).update(body).digest();
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  };

  const handle = (request: IncomingMessage, response: ServerResponse, body: Buffer): void => {
    if (!signatureMatches(request.headers.authorization, body)) {
      logger.warn('control-refused', { code: 'bad-signature' });
      answer(response, 401, {
        ok: false,
        code: 'bad-signature',
        message: 'The control signature does not match.',
      });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      value = undefined;
    }
    const control = parseRelayControl(value);
    if (!control) {
      logger.warn('control-refused', { code: 'malformed' });
      answer(response, 400, { ok: false, code: 'malformed', message: 'The control message is malformed.' });
      return;
    }
    if (Math.abs(nowSeconds() - control.iat) > RELAY_CONTROL_MAX_AGE_SECONDS) {
      logger.warn('control-refused', { code: 'stale' });
      answer(response, 401, {
        ok: false,
        code: 'stale',
        message: `The control message's iat is more than ${RELAY_CONTROL_MAX_AGE_SECONDS} s from the relay's clock.`,
      });
      return;
    }
    const { affected, applied } = options.apply(control);
    logger.info('control-applied', { kind: control.kind, affected, applied });
    answer(response, 200, applied ? { ok: true, affected } : { ok: true, affected, code: 'superseded' });
  };

  return (request, response) => {
    if (request.method !== 'POST') {
      answer(
        response,
        405,
        { ok: false, code: 'method-not-allowed', message: 'Use POST.' },
        { allow: 'POST' },
      );
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    /** Answers and stops reading a sender that keeps streaming, after giving the answer time to leave. */
    const hangUp = (status: number, body: ControlAnswer): void => {
      answer(response, status, body, { connection: 'close' });
      response.once('finish', () => setTimeout(() => request.destroy(), 1000).unref());
    };
    const tooLarge = (): void =>
      hangUp(413, {
        ok: false,
        code: 'too-large',
        message: `The body exceeds ${RELAY_CONTROL_MAX_BYTES} bytes.`,
      });
    if (declared > RELAY_CONTROL_MAX_BYTES) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const deadline = setTimeout(() => {
      if (done) return;
      done = true;
      logger.warn('control-refused', { code: 'timeout' });
      hangUp(408, {
        ok: false,
        code: 'timeout',
        message: `The body did not arrive within ${bodyTimeoutMs} ms.`,
      });
    }, bodyTimeoutMs);
    deadline.unref();
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > RELAY_CONTROL_MAX_BYTES) {
        done = true;
        clearTimeout(deadline);
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(deadline);
      if (done) return;
      done = true;
      try {
        handle(request, response, Buffer.concat(chunks));
      } catch (error) {
        logger.error('control-failed', { error: error instanceof Error ? error.name : 'unknown' });
        if (!response.headersSent)
          answer(response, 500, { ok: false, code: 'internal', message: 'Internal error.' });
      }
    });
    request.on('error', () => {
      done = true;
    });
    // A sender that hung up needs no answer.
    request.once('close', () => clearTimeout(deadline));
  };
}
