import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayControl } from '../../../src/lib/protocol/relay-control.js';
import { silentLogger } from '../log.js';
import { createControlEndpoint, signControlBody } from './control-endpoint.js';

const SECRET = 'control-test-secret-0123456789abcdef0123';
const NOW = 1_800_000_000;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(): Promise<{ url: string; applied: RelayControl[] }> {
  const applied: RelayControl[] = [];
  const handler = createControlEndpoint({
    secret: SECRET,
    logger: silentLogger(),
    nowSeconds: () => NOW,
    apply: (control) => {
      applied.push(control);
      return { affected: 3, applied: true };
    },
  });
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/control`, applied };
}

const body = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ v: 1, kind: 'membership', studio: 's1', user: 'u1', role: null, iat: NOW, ...extra });

async function post(url: string, text: string, authorization = signControlBody(SECRET, text)) {
  const response = await fetch(url, { method: 'POST', body: text, headers: { authorization } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /control', () => {
  it('applies a signed, fresh message and reports how many connections it affected', async () => {
    const { url, applied } = await start();
    expect(await post(url, body())).toEqual({ status: 200, body: { ok: true, affected: 3 } });
    expect(applied).toEqual([{ v: 1, kind: 'membership', studio: 's1', user: 'u1', role: null, iat: NOW }]);
  });

  it('refuses a bad or missing signature with 401 before reading the body', async () => {
    const { url, applied } = await start();
    const text = body();
    const wrongKey = signControlBody('another-secret-0123456789abcdef0123456789', text);
    const cases = [
      wrongKey,
      signControlBody(SECRET, body({ role: 'owner' })),
      `Bearer ${'0'.repeat(64)}`,
      'Bandmesh-HMAC zz',
      '',
    ];
    for (const authorization of cases) {
      expect(await post(url, text, authorization), authorization).toMatchObject({
        status: 401,
        body: { ok: false, code: 'bad-signature' },
      });
    }
    // A signed garbage body is never parsed when unsigned: 401, not 400.
    expect((await post(url, '{', 'Bandmesh-HMAC 00')).status).toBe(401);
    expect(applied).toEqual([]);
  });

  it('refuses a signed but malformed body with 400 and a stale iat with 401 stale', async () => {
    const { url, applied } = await start();
    for (const text of [
      '{',
      '[]',
      body({ kind: 'explode' }),
      body({ role: 'admin' }),
      body({ studio: 'S!' }),
    ]) {
      expect(await post(url, text), text).toMatchObject({
        status: 400,
        body: { ok: false, code: 'malformed' },
      });
    }
    expect(await post(url, body({ iat: NOW - 61 }))).toMatchObject({ status: 401, body: { code: 'stale' } });
    expect(await post(url, body({ iat: NOW + 61 }))).toMatchObject({ status: 401, body: { code: 'stale' } });
    expect((await post(url, body({ iat: NOW - 60 }))).status).toBe(200);
    expect(applied).toHaveLength(1);
  });

  it('answers 405 to other methods and 413 to a body over 4096 bytes', async () => {
    const { url, applied } = await start();
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const big = body({ pad: 'x'.repeat(5000) });
    expect(await post(url, big)).toMatchObject({ status: 413, body: { ok: false, code: 'too-large' } });
    // Without a declared length (chunked), the reader stops at the limit too.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: 'POST',
      body: chunks,
      headers: { authorization: signControlBody(SECRET, 'x') },
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(applied).toEqual([]);
  });
});

describe('POST /control, a body that never ends', () => {
  it('answers 408 and hangs up once the body has not arrived in time (slow loris)', async () => {
    const handler = createControlEndpoint({
      secret: SECRET,
      logger: silentLogger(),
      nowSeconds: () => NOW,
      apply: () => ({ affected: 0, applied: true }),
      bodyTimeoutMs: 200,
    });
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const text = body();
    // Announces the whole body, sends a third of it, then goes quiet without closing.
    socket.write(
      `POST /control HTTP/1.1\r\nHost: relay\r\nAuthorization: ${signControlBody(SECRET, text)}\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text.slice(0, 20)}`,
    );
    const started = Date.now();
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the socket was never closed')), 4000)),
    ]);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('"code":"timeout"');
    expect(Date.now() - started).toBeLessThan(3000);
    socket.destroy();
  });
});
