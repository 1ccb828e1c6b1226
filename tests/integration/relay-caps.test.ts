/**
 * Connection caps and the subscribe timeout against the real relay process: 1,000 idle sockets from
 * loopback (one address) are refused past the per-address cap with `too-many-connections` (1013),
 * the ones admitted are closed with `subscribe-timeout` (1008) when they do not join a studio, and two
 * honest members who joined before keep exchanging publishes. Loops are bounded in count and time.
 * Needs `npm run build:relay`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { startRelay, TestClient, type CloseInfo, type RunningRelay } from '../support/relay';
import { signTicket, TEST_TICKET_SECRET } from '../support/tickets';

const IDLE_SOCKETS = 1_000;
const BATCH = 50;
const PER_IP = 32;
const SUBSCRIBE_TIMEOUT_MS = 2_000;
/** Whole attack, opening and closing, must be over by then (a liveness bound, not a benchmark). */
const ATTACK_DEADLINE_MS = 25_000;

const relays: RunningRelay[] = [];
const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const relay of relays) expect(await relay.stop()).toBe(0);
});

interface Outcome {
  first: string;
  close: CloseInfo;
}

/**
 * Opens one socket that never subscribes. `answered` resolves once the relay said something (welcome
 * or a refusal); `outcome` once it was closed (or the deadline passed), with what it was told.
 */
function idleSocket(
  url: string,
  deadline: number,
): { answered: Promise<unknown>; outcome: Promise<Outcome> } {
  const remaining = (): number => Math.max(1, deadline - Date.now());
  const connected = TestClient.connect(url, { welcome: false }).then((client) => {
    clients.push(client);
    return client;
  });
  const answered = connected.then((client) => client.next(() => true, remaining()));
  const outcome = answered.then(async () => {
    const client = await connected;
    const close = await Promise.race([
      client.closed,
      new Promise<CloseInfo>((resolve) =>
        setTimeout(() => resolve({ code: -1, reason: 'still open' }), remaining()),
      ),
    ]);
    const first = answered.then((m) => m as { type: string; code?: string });
    const seen = [await first, ...client.pending()].map((m) =>
      m.type === 'error' ? `error:${m.code}` : m.type,
    );
    return { first: seen.join(','), close };
  });
  return { answered, outcome };
}

async function connections(relay: RunningRelay): Promise<number> {
  const response = await fetch(`${relay.httpUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { connections: number }).connections;
}

describe('relay connection caps', () => {
  it('refuses idle sockets past the per-address cap, times out the admitted ones, and keeps the room alive', async () => {
    const relay = await startRelay({
      env: { BANDMESH_RELAY_SUBSCRIBE_TIMEOUT_MS: String(SUBSCRIBE_TIMEOUT_MS) },
    });
    relays.push(relay);
    const topic = studioTopic('studiocaps01');
    const honest = [await TestClient.connect(relay.wsUrl), await TestClient.connect(relay.wsUrl)];
    clients.push(...honest);
    for (const client of honest)
      await client.join(topic, signTicket(TEST_TICKET_SECRET, { studio: 'studiocaps01' }));
    const [a, b] = honest as [TestClient, TestClient];

    const deadline = Date.now() + ATTACK_DEADLINE_MS;
    const outcomes: Promise<Outcome>[] = [];
    let peak = 0;
    for (let opened = 0; opened < IDLE_SOCKETS && Date.now() < deadline; opened += BATCH) {
      const batch = Array.from({ length: BATCH }, () => idleSocket(relay.wsUrl, deadline));
      outcomes.push(...batch.map((s) => s.outcome));
      // Wait until every socket of the batch has had its first answer before opening more.
      await Promise.all(batch.map((s) => s.answered));
      peak = Math.max(peak, await connections(relay));
    }
    const results = await Promise.all(outcomes);
    expect(results).toHaveLength(IDLE_SOCKETS);

    const refused = results.filter((r) => r.first === `error:${ErrorCode.TooManyConnections}`);
    const admitted = results.filter((r) => r.first === `welcome,error:${ErrorCode.SubscribeTimeout}`);
    expect(refused.length + admitted.length).toBe(IDLE_SOCKETS);
    expect(refused.every((r) => r.close.code === 1013)).toBe(true);
    expect(admitted.every((r) => r.close.code === 1008)).toBe(true);
    // Batches wait for each other, so at most the cap's free slots (30) per timeout period get in.
    expect(admitted.length).toBeGreaterThanOrEqual(PER_IP - 2);
    expect(refused.length).toBeGreaterThan(IDLE_SOCKETS / 2);
    expect(peak).toBeLessThanOrEqual(PER_IP);

    // The honest pair was never disturbed and still talks; the relay holds only them.
    expect(a.isOpen && b.isOpen).toBe(true);
    a.send({ type: 'publish', topic, data: 'after the storm' });
    expect(await b.next((m) => m.type === 'publish')).toMatchObject({
      data: 'after the storm',
      from: a.self,
    });
    b.send({ type: 'publish', topic, data: 'still here', to: a.peerId });
    expect(await a.next((m) => m.type === 'publish')).toMatchObject({ data: 'still here', from: b.self });
    expect(await connections(relay)).toBe(2);
    // A connection storm does not become a log storm.
    expect(
      relay
        .output()
        .split('\n')
        .filter((l) => l.includes('connections-refused')).length,
    ).toBeLessThan(10);
  });

  it('refuses past the total cap whatever the address', async () => {
    const relay = await startRelay({
      env: { BANDMESH_RELAY_MAX_CONNECTIONS: '3', BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP: '100' },
    });
    relays.push(relay);
    const deadline = Date.now() + 10_000;
    const held = [
      await TestClient.connect(relay.wsUrl),
      await TestClient.connect(relay.wsUrl),
      await TestClient.connect(relay.wsUrl),
    ];
    clients.push(...held);
    const over = await idleSocket(relay.wsUrl, deadline).outcome;
    expect(over).toEqual({
      first: `error:${ErrorCode.TooManyConnections}`,
      close: { code: 1013, reason: 'too many connections' },
    });
    await held[0]!.close();
    for (let i = 0; i < 100 && (await connections(relay)) > 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    const again = await TestClient.connect(relay.wsUrl);
    clients.push(again);
    expect(again.isOpen).toBe(true);
  });
});
