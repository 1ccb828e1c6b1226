/**
 * Resume against the real relay process (signaling v2, ADR 0008): a dropped socket keeps its seat for
 * the grace and a reconnect with the resume token gets the same peer id without anyone hearing a
 * leave or a join; a relay restart keeps peer ids too; a forged resume gets nothing. Node `ws`
 * clients stand in for browsers (`drop()` terminates the socket like a crashed tab or a lost
 * network). Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorMessage, PeerLeftMessage, ServerMessage } from '../../src/lib/protocol/signaling';
import { ClientPool, startRelay, studioSequence, TestClient, type RunningRelay } from '../support/relay';
import { signTicket, TEST_TICKET_SECRET, testRecordId } from '../support/tickets';

/** Short enough to wait out, long enough to tell "within the grace" apart on a busy machine. */
const GRACE_MS = 1500;

let relay: RunningRelay;
const clients = new ClientPool(() => relay.wsUrl);
const connect = (url?: string) => clients.connect(url);

let STUDIO = '';
let TOPIC = '';
const nextStudio = studioSequence('studioresume');
beforeEach(() => ({ studio: STUDIO, topic: TOPIC } = nextStudio()));
const ticket = (sub: string, studio = STUDIO): string => signTicket(TEST_TICKET_SECRET, { studio, sub });

beforeAll(async () => {
  relay = await startRelay({ env: { BANDMESH_RELAY_RESUME_GRACE_MS: String(GRACE_MS) } });
});
afterAll(async () => {
  await clients.closeAll();
  expect(await relay?.stop()).toBe(0);
});

/** A ping answered proves the relay has handled everything this client sent before it. */
const membership = (m: ServerMessage): boolean => m.type === 'peer-left' || m.type === 'peer-joined';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A witness and a player in a fresh studio; the witness has seen the player join. */
async function room(): Promise<{ witness: TestClient; player: TestClient; user: string }> {
  const witness = await connect();
  await witness.join(TOPIC, ticket(testRecordId()));
  const user = testRecordId();
  const player = await connect();
  await player.join(TOPIC, ticket(user));
  await witness.next((m) => m.type === 'peer-joined');
  return { witness, player, user };
}

describe('a dropped socket', () => {
  it('is not announced within the grace, and a resume keeps its peer id with no leave or join', async () => {
    const { witness, player, user } = await room();
    const resume = player.resume;
    await player.drop();
    await sleep(GRACE_MS / 3);
    // Signals to the suspended seat are dropped quietly: no unknown-peer for the sender.
    witness.send({ type: 'publish', topic: TOPIC, to: resume.peerId, data: 'lost' });
    await witness.settled();
    expect(witness.pending().filter(membership)).toEqual([]);
    expect(witness.pending().filter((m) => m.type === 'error')).toEqual([]);

    const back = await connect();
    const reply = await back.join(TOPIC, ticket(user), { client: player.clientId, resume });
    expect(reply.self).toEqual(player.self);
    expect(reply.resume).toBe(resume.token);
    expect(reply.peers).toEqual([witness.self]);
    expect(reply.clients).toBe(2);

    // The seat lives on the new socket; the grace it would have run out in passes unheard.
    witness.send({ type: 'publish', topic: TOPIC, to: resume.peerId, data: 'found' });
    expect(await back.next((m) => m.type === 'publish')).toMatchObject({ data: 'found', from: witness.self });
    await sleep(GRACE_MS);
    await witness.settled();
    expect(witness.pending().filter(membership)).toEqual([]);
  });

  it('is announced as disconnected once the grace is over, not before', async () => {
    const { witness, player } = await room();
    const droppedAt = Date.now();
    await player.drop();
    const left = await witness.next<PeerLeftMessage>((m) => m.type === 'peer-left', GRACE_MS + 3000);
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(left).toEqual({ type: 'peer-left', topic: TOPIC, peerId: player.peerId, reason: 'disconnected' });
  });

  it('a clean leave (unsubscribe, then close) is announced at once', async () => {
    const { witness, player } = await room();
    const leftAt = Date.now();
    await player.close();
    const left = await witness.next<PeerLeftMessage>((m) => m.type === 'peer-left', GRACE_MS / 2);
    expect(Date.now() - leftAt).toBeLessThan(GRACE_MS / 2);
    expect(left).toMatchObject({ peerId: player.peerId, reason: 'left' });
  });
});

describe('a forged resume', () => {
  it("gets a fresh peer id and cannot take the victim's seat, live or suspended", async () => {
    const { witness, player: victim } = await room();
    const attackerUser = testRecordId();
    const attacker = await connect();
    const own = await attacker.join(TOPIC, ticket(attackerUser));
    await witness.next((m) => m.type === 'peer-joined');
    const victimResume = victim.resume;

    const attempts = [
      // The victim's peer id with a token the relay gave the attacker for itself.
      { peerId: victimResume.peerId, token: own.resume },
      // Garbage shaped like a token.
      { peerId: victimResume.peerId, token: 'A'.repeat(43) },
      // The victim's own token, stolen: bound to the victim's user and client id, not the attacker's.
      victimResume,
    ];
    for (const [index, resume] of attempts.entries()) {
      if (index === 2) await victim.drop(); // the last try aims at the suspended seat
      const socket = await connect();
      const reply = await socket.join(TOPIC, ticket(attackerUser), { resume });
      expect(reply.self.peerId).not.toBe(victimResume.peerId);
      expect(reply.self.userId).toBe(attackerUser);
      expect(reply.peers.map((p) => p.peerId)).toContain(victimResume.peerId);
      expect(socket.pending().filter((m): m is ErrorMessage => m.type === 'error')).toEqual([]);
      if (index < 2) expect(victim.isOpen).toBe(true);
      await socket.close();
    }
    await witness.settled();
    expect(
      witness.pending().filter((m) => m.type === 'peer-left' && m.peerId === victimResume.peerId),
    ).toEqual([]);

    // The victim itself still resumes its seat.
    const back = await connect();
    const reply = await back.join(TOPIC, ticket(victim.self!.userId), {
      client: victim.clientId,
      resume: victimResume,
    });
    expect(reply.self.peerId).toBe(victimResume.peerId);
  });
});

describe('after the grace', () => {
  it('a resume is seated afresh with its old peer id, announced; a forged one cannot claim that id', async () => {
    const { witness, player, user } = await room();
    const resume = player.resume;
    await player.drop();
    await witness.next((m) => m.type === 'peer-left' && m.peerId === resume.peerId, GRACE_MS + 3000);

    const attackerUser = testRecordId();
    for (const token of ['A'.repeat(43), resume.token]) {
      const attacker = await connect();
      const reply = await attacker.join(TOPIC, ticket(attackerUser), {
        resume: { peerId: resume.peerId, token },
      });
      expect(reply.self.peerId).not.toBe(resume.peerId);
      await attacker.close();
    }

    const back = await connect();
    const reply = await back.join(TOPIC, ticket(user), { client: player.clientId, resume });
    expect(reply.self).toMatchObject({ peerId: resume.peerId, userId: user, client: player.clientId });
    const joined = await witness.next((m) => m.type === 'peer-joined' && m.peer.peerId === resume.peerId);
    expect(joined).toMatchObject({ peer: reply.self });
  });
});

describe('a relay restart', () => {
  it('keeps both peer ids when the clients re-subscribe with their tokens', async () => {
    const env = { BANDMESH_RELAY_RESUME_GRACE_MS: String(GRACE_MS) };
    let first: RunningRelay | null = await startRelay({ env });
    let second: RunningRelay | null = null;
    try {
      const [userA, userB] = [testRecordId(), testRecordId()];
      const a = await connect(first.wsUrl);
      const b = await connect(first.wsUrl);
      await a.join(TOPIC, ticket(userA));
      await b.join(TOPIC, ticket(userB));
      expect(await first.stop()).toBe(0);
      first = null;
      await Promise.all([a.closed, b.closed]);

      second = await startRelay({ env, port: Number(new URL(a.socket.url).port) });
      const a2 = await connect(second.wsUrl);
      const b2 = await connect(second.wsUrl);
      // Fresh tickets, as the browser client fetches them; the tokens are the old relay's.
      const atA = await a2.join(TOPIC, ticket(userA), { client: a.clientId, resume: a.resume });
      expect(atA.self).toMatchObject({ peerId: a.peerId, userId: userA, client: a.clientId });
      expect(atA.resume).toBe(a.resumeToken);
      const atB = await b2.join(TOPIC, ticket(userB), { client: b.clientId, resume: b.resume });
      expect(atB.self).toMatchObject({ peerId: b.peerId, userId: userB, client: b.clientId });
      expect(atB.peers).toEqual([atA.self]);
      expect(await a2.next((m) => m.type === 'peer-joined')).toMatchObject({ peer: atB.self });
    } finally {
      await first?.stop();
      await second?.stop();
    }
  });
});
