/**
 * The "Done when": the relay keeps serving good clients while others send malformed,
 * binary, oversized and flooding traffic. Loops are bounded in count; waits are liveness timeouts,
 * never performance assertions. Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import {
  SIGNALING_MAX_FRAME_BYTES,
  SignalingClose,
  type ServerMessage,
} from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { startRelay, TestClient, type RunningRelay } from '../support/relay';
import { signTicket, TEST_TICKET_SECRET } from '../support/tickets';

// A fresh studio per test: earlier tests' clients stay connected until afterAll, and one studio
// admits at most MESH_MAX_PLAYERS of them.
let studioCounter = 0;
let STUDIO = 'studioabuse00';
let TOPIC = studioTopic(STUDIO);
beforeEach(() => {
  studioCounter += 1;
  STUDIO = `studioabuse${String(studioCounter).padStart(2, '0')}`;
  TOPIC = studioTopic(STUDIO);
});
const ticket = (): string => signTicket(TEST_TICKET_SECRET, { studio: STUDIO });
const OVERSIZED = 'x'.repeat(100 * 1024);

let relay: RunningRelay;
const clients: TestClient[] = [];
async function connect(): Promise<TestClient> {
  const client = await TestClient.connect(relay.wsUrl);
  clients.push(client);
  return client;
}
async function subscribed(): Promise<TestClient> {
  const client = await connect();
  await client.join(TOPIC, ticket());
  return client;
}

beforeAll(async () => {
  relay = await startRelay({});
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await relay?.stop()).toBe(0);
});

const fromGood = (seq: number) => (m: ServerMessage) =>
  m.type === 'publish' &&
  typeof m.data === 'object' &&
  m.data !== null &&
  (m.data as { seq?: number }).seq === seq;

/** A good sender publishes `count` numbered messages at a modest pace; the receiver must get each one. */
async function goodExchange(sender: TestClient, receiver: TestClient, count: number): Promise<number> {
  let received = 0;
  for (let seq = 0; seq < count; seq++) {
    sender.send({ type: 'publish', topic: TOPIC, data: { from: 'good', seq } });
    await receiver.next(fromGood(seq), 5_000);
    received++;
    await new Promise((r) => setTimeout(r, 30));
  }
  return received;
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`${relay.httpUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return response.ok && ((await response.json()) as { ok: boolean }).ok;
}

describe('relay under abuse', () => {
  it('forwards a frame just under the limit and closes a 100 KiB frame with 1009', async () => {
    const a = await subscribed();
    const b = await subscribed();
    const big = 'y'.repeat(SIGNALING_MAX_FRAME_BYTES - 100);
    a.send({ type: 'publish', topic: TOPIC, data: big });
    expect((await b.next((m) => m.type === 'publish')) as { data: string }).toMatchObject({ data: big });

    const c = await connect();
    c.sendRaw(OVERSIZED);
    expect((await c.closed).code).toBe(SignalingClose.TooLarge);
    // The others are untouched.
    b.send({ type: 'ping' });
    expect(await b.next((m) => m.type === 'pong')).toEqual({ type: 'pong' });
  });

  it('answers a malformed or misaddressed publish with its typed error and keeps serving the room', async () => {
    const a = await subscribed();
    const b = await subscribed();
    const cases: [unknown, string][] = [
      [{ type: 'publish', topic: TOPIC, data: 1, to: 'not a peer id!' }, ErrorCode.Malformed],
      [{ type: 'publish', topic: TOPIC, data: 1, to: 42 }, ErrorCode.Malformed],
      [{ type: 'publish', data: 1 }, ErrorCode.Malformed],
      [{ type: 'publish', topic: TOPIC, data: 1, to: 'AAAAAAAAAAAAAAAAAAAAAA' }, ErrorCode.UnknownPeer],
      [{ type: 'subscribe', topics: [TOPIC], ticket: ticket(), client: -1 }, ErrorCode.Malformed],
      [{ type: 'subscribe', topics: [TOPIC], ticket: ticket(), client: 2 ** 32 }, ErrorCode.Malformed],
    ];
    for (const [message, code] of cases) {
      a.send(message);
      const reply = await a.next((m) => m.type === 'error');
      expect(reply, JSON.stringify(message)).toMatchObject({ type: 'error', code });
      expect((reply as { message: string }).message.length).toBeGreaterThan(10);
    }
    expect(a.isOpen).toBe(true);
    a.send({ type: 'publish', topic: TOPIC, data: 'still here', to: b.peerId });
    expect(await b.next((m) => m.type === 'publish')).toMatchObject({ data: 'still here' });
    // None of the bad publishes reached b.
    expect(b.pending().filter((m) => m.type === 'publish')).toEqual([]);
  });

  it('keeps serving a good pair while others stream malformed, binary and oversized frames', async () => {
    const sender = await subscribed();
    const receiver = await subscribed();

    const attack = async (): Promise<number[]> => {
      const codes: number[] = [];
      for (let round = 0; round < 15; round++) {
        const bad = await connect();
        for (let i = 0; i < 40; i++) {
          if (i % 3 === 0) bad.sendRaw('{"type":"publish","topic":');
          else if (i % 3 === 1) bad.send({ type: `nonsense-${i}` });
          else bad.sendRaw(Buffer.alloc(512, i), { binary: true });
        }
        bad.sendRaw(OVERSIZED);
        codes.push((await bad.closed).code);
      }
      return codes;
    };

    const [received, codes, health] = await Promise.all([
      goodExchange(sender, receiver, 30),
      attack(),
      (async () => {
        const answers: boolean[] = [];
        for (let i = 0; i < 10; i++) {
          answers.push(await healthy());
          await new Promise((r) => setTimeout(r, 50));
        }
        return answers;
      })(),
    ]);
    expect(received).toBe(30);
    expect(codes).toEqual(Array(15).fill(SignalingClose.TooLarge));
    expect(health.every(Boolean)).toBe(true);
    expect(sender.isOpen && receiver.isOpen).toBe(true);
  });

  it('rate-limits and then disconnects a flooding client without starving a good one', async () => {
    const sender = await subscribed();
    const receiver = await subscribed();
    const flooder = await subscribed();

    const flood = async (): Promise<void> => {
      for (let i = 0; i < 2_000 && flooder.isOpen; i++) {
        flooder.send({ type: 'publish', topic: TOPIC, data: { from: 'flood', i } });
        // Yield now and then so the good clients' sockets are serviced in this process too.
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    const [received] = await Promise.all([goodExchange(sender, receiver, 20), flood()]);
    expect(received).toBe(20);

    const closed = await flooder.closed;
    expect(closed.code).toBe(SignalingClose.PolicyViolation);
    const limited = flooder.pending().filter((m) => m.type === 'error' && m.code === ErrorCode.RateLimited);
    expect(limited.length).toBeGreaterThan(0);
    // Error replies are themselves limited: far fewer than the messages dropped.
    expect(limited.length).toBeLessThan(100);
    expect(await healthy()).toBe(true);
  });

  it('disconnects a client flooding malformed frames, and logs a summary, not a line per frame', async () => {
    const good = await subscribed();
    const bad = await connect();
    for (let i = 0; i < 2_000 && bad.isOpen; i++) bad.sendRaw('not json at all');
    expect((await bad.closed).code).toBe(SignalingClose.PolicyViolation);
    good.send({ type: 'ping' });
    expect(await good.next((m) => m.type === 'pong')).toEqual({ type: 'pong' });

    const lines = relay.output().trim().split('\n');
    // Thousands of bad frames in this file, but the log grows per connection, not per frame.
    expect(lines.length).toBeLessThan(300);
    const summaries = lines.filter((l) => l.includes('"event":"connection-closed"'));
    expect(summaries.some((l) => /"errorsSuppressed":[1-9]/.test(l))).toBe(true);
  });
});
