/**
 * The stack's coturn, asked directly over TURN: it relays only for the REST credentials PocketBase
 * mints (username "<expiry>:<userId>", base64 HMAC-SHA1 of it under the shared secret, the scheme of
 * pocketbase/internal/turn), not for strangers, wrong or expired credentials; and it relays to
 * loopback peers only when the stack itself runs on loopback, to no private peer on a public address.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpTcpPort, startCoturn } from '../../scripts/lib/coturn.mjs';
import { TurnTestClient } from '../support/turn-client';

type Coturn = Awaited<ReturnType<typeof startCoturn>>;

/** What PocketBase hands a user (pocketbase/internal/turn.Credentials). */
function restCredentials(secret: string, userId: string, expiresAtS: number) {
  const username = `${expiresAtS}:${userId}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

const nowS = () => Math.floor(Date.now() / 1000);

// No skip without coturn: `npm test` installs it (scripts/lib/setup.mjs), and startCoturn says so.
describe('coturn as the stack runs it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bandmesh-turn-'));
  const clients: TurnTestClient[] = [];
  let dev: Coturn;
  let strict: Coturn;
  let secret: string;

  const client = (server: Coturn) => {
    const url = new URL(server.urls[0]!.replace('turn:', 'turn://'));
    const c = new TurnTestClient(url.hostname, Number(url.port));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dev = await startCoturn({
      host: '127.0.0.1',
      port: await freeUdpTcpPort('127.0.0.1'),
      dataDir,
      quiet: true,
    });
    // A second instance (its own data dir) with the peer rules of a public address.
    strict = await startCoturn({
      host: '127.0.0.1',
      port: await freeUdpTcpPort('127.0.0.1'),
      dataDir: join(dataDir, 'strict'),
      allowLoopbackPeers: false,
      denyPrivatePeers: true,
      quiet: true,
    });
    secret = readFileSync(dev.secretFile, 'utf8').trim();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([dev?.process.stop(), strict?.process.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps its secret in the data dir, readable by its owner only', () => {
    expect(dev.secretFile).toBe(join(dataDir, 'bandmesh-turn.secret'));
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(dev.secretFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'bandmesh-turnserver.conf')).mode & 0o777).toBe(0o600);
  });

  it('relays for REST credentials minted with its secret', async () => {
    const { username, password } = restCredentials(secret, 'user1', nowS() + 3600);
    const c = client(dev);
    expect(await c.allocate(username, password)).toBe(0);
    // The loopback stack relays between loopback addresses (both players on this machine).
    expect(await c.createPermission('127.0.0.1')).toBe(0);
  });

  it('refuses a stranger, a wrong secret and expired credentials', async () => {
    expect(await client(dev).allocate('user1', 'guess')).toBe(401);
    const forged = restCredentials('not-the-secret', 'user1', nowS() + 3600);
    expect(await client(dev).allocate(forged.username, forged.password)).toBe(401);
    const expired = restCredentials(secret, 'user1', nowS() - 60);
    expect(await client(dev).allocate(expired.username, expired.password)).toBe(401);
  });

  it('on a public address, refuses loopback, private and link-local peers', async () => {
    const strictSecret = readFileSync(strict.secretFile, 'utf8').trim();
    expect(strictSecret).not.toBe(secret); // one secret per data dir
    const { username, password } = restCredentials(strictSecret, 'user1', nowS() + 3600);
    const c = client(strict);
    expect(await c.allocate(username, password)).toBe(0);
    for (const peer of [
      '127.0.0.1',
      '127.5.6.7',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
    ]) {
      expect(await c.createPermission(peer), peer).toBe(403);
    }
    // Public peers (another player's public address) are what TURN is for.
    expect(await c.createPermission('8.8.8.8')).toBe(0);
  });

  it('gives one user at most 12 allocations at a time', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 13; i++) {
      // Credentials of one user from different tickets (different expiry times) count together.
      const { username, password } = restCredentials(secret, 'greedy', nowS() + 3600 + i);
      codes.push(await client(dev).allocate(username, password));
    }
    expect(codes.slice(0, 12)).toEqual(Array(12).fill(0));
    expect(codes[12]).toBe(486); // Allocation Quota Reached
    const other = restCredentials(secret, 'someone-else', nowS() + 3600);
    expect(await client(dev).allocate(other.username, other.password)).toBe(0);
  });

  it('keeps the secret across restarts on the same data dir', async () => {
    const again = await startCoturn({
      host: '127.0.0.1',
      port: await freeUdpTcpPort('127.0.0.1'),
      dataDir,
      quiet: true,
    });
    try {
      expect(readFileSync(again.secretFile, 'utf8').trim()).toBe(secret);
      const { username, password } = restCredentials(secret, 'user2', nowS() + 60);
      const url = new URL(again.urls[0]!.replace('turn:', 'turn://'));
      const c = new TurnTestClient(url.hostname, Number(url.port));
      clients.push(c);
      expect(await c.allocate(username, password)).toBe(0);
    } finally {
      await again.process.stop();
    }
  });
});
