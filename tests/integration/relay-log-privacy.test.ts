/**
 * The relay's log never holds a client's IP address (relay/src/log.ts; docs/relay.md "Logging"):
 * players connect from their own loopback addresses (127.0.0.2, 127.0.0.3 — all of 127/8 is
 * loopback), are admitted, refused past the per-address cap and refused for their origin, and
 * not one log line names those addresses (plain or IPv4-mapped).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import { startRelay, TestClient, type RunningRelay } from '../support/relay';

const ADDRESSES = ['127.0.0.2', '127.0.0.3'];

let relay: RunningRelay | undefined;
const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  if (relay) expect(await relay.stop()).toBe(0);
});

async function waitForLog(relay: RunningRelay, event: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  const seen = (): number =>
    relay
      .output()
      .split('\n')
      .filter((l) => l.includes(`"event":"${event}"`)).length;
  while (seen() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(seen(), `log lines with event ${event}`).toBeGreaterThanOrEqual(count);
}

describe('relay logs', () => {
  it('hold no IP address on connect, refusal and close', async () => {
    relay = await startRelay({
      env: {
        BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP: '1',
        BANDMESH_RELAY_ALLOWED_ORIGINS: 'https://band.example.org',
      },
    });
    const origin = 'https://band.example.org';
    const admitted = await TestClient.connect(relay.wsUrl, { origin, localAddress: ADDRESSES[0] });
    clients.push(admitted);
    const second = await TestClient.connect(relay.wsUrl, {
      origin,
      localAddress: ADDRESSES[0],
      welcome: false,
    });
    clients.push(second);
    const refusal = await second.next((m) => m.type === 'error');
    expect(refusal).toMatchObject({ code: ErrorCode.TooManyConnections });
    await expect(
      TestClient.connect(relay.wsUrl, { origin: 'https://evil.example', localAddress: ADDRESSES[1] }),
    ).rejects.toThrow(/HTTP 403/);
    await admitted.close();

    await waitForLog(relay, 'connection-opened', 1);
    await waitForLog(relay, 'connections-refused', 1);
    await waitForLog(relay, 'origin-refused', 1);
    await waitForLog(relay, 'connection-closed', 1);
    const log = relay.output();
    for (const address of ADDRESSES) {
      expect(log).not.toContain(address);
    }
  });
});
