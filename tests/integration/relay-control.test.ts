/**
 * PocketBase → relay control messages against the real relay process: only a fresh message signed
 * with the ticket secret changes anything; a removal, a role change or a deleted studio reaches the
 * live room within 5 s. Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import { RELAY_CONTROL_PATH } from '../../src/lib/protocol/relay-control';
import type { ForwardedPublishMessage, PeerUpdatedMessage } from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import {
  controlAuthorization,
  controlMessage,
  postControl,
  ClientPool,
  startRelay,
  studioSequence,
  TestClient,
  type RunningRelay,
} from '../support/relay';
import { signTicket, TEST_TICKET_SECRET, testRecordId } from '../support/tickets';

/** The bound for a PocketBase change to reach a live room. */
const WITHIN_MS = 5_000;

let relay: RunningRelay;
const clients = new ClientPool(() => relay.wsUrl);
let STUDIO = '';
let TOPIC = '';
const nextStudio = studioSequence('studioctl');
beforeEach(() => ({ studio: STUDIO, topic: TOPIC } = nextStudio()));

const ticket = (sub: string, role: 'owner' | 'engineer' | 'member' = 'member') =>
  signTicket(TEST_TICKET_SECRET, { studio: STUDIO, sub, role });

const usedSubs = new Set<string>();
async function member(sub = testRecordId(), role: 'owner' | 'engineer' | 'member' = 'member') {
  usedSubs.add(sub);
  const client = await clients.connect();
  await client.join(TOPIC, ticket(sub, role));
  return { client, sub };
}

/** Publishes from `from` and waits until `to` gets it: the room still works. */
async function stillTalking(from: TestClient, to: TestClient, data: string): Promise<void> {
  from.send({ type: 'publish', topic: TOPIC, data });
  expect(await to.next((m) => m.type === 'publish' && m.data === data)).toMatchObject({ data });
}

beforeAll(async () => {
  relay = await startRelay({});
});
afterAll(async () => {
  await clients.closeAll();
  expect(await relay?.stop()).toBe(0);
});

describe('control endpoint refusals', () => {
  it('refuses a bad signature with 401 and changes nothing', async () => {
    const owner = await member(testRecordId(), 'owner');
    const target = await member();
    const revoke = controlMessage({ kind: 'membership', studio: STUDIO, user: target.sub, role: null });
    const forged = [
      { secret: 'an-attacker-secret-0123456789abcdef0123456' },
      { authorization: controlAuthorization(TEST_TICKET_SECRET, JSON.stringify({ ...revoke, iat: 1 })) },
      { authorization: 'Bandmesh-HMAC' },
      { authorization: `Bearer ${TEST_TICKET_SECRET}` },
    ];
    for (const options of forged) {
      expect(await postControl(relay, revoke, options)).toMatchObject({
        status: 401,
        body: { ok: false, code: 'bad-signature' },
      });
    }
    await stillTalking(owner.client, target.client, 'after forged revokes');
    expect(target.client.isOpen).toBe(true);
    expect(owner.client.pending().filter((m) => m.type === 'peer-left')).toEqual([]);
  });

  it('refuses a stale or future iat, a malformed body, a wrong method and an oversized body', async () => {
    const owner = await member(testRecordId(), 'owner');
    const target = await member();
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 120, now + 120]) {
      const stale = controlMessage({ kind: 'membership', studio: STUDIO, user: target.sub, role: null, iat });
      expect(await postControl(relay, stale)).toMatchObject({
        status: 401,
        body: { ok: false, code: 'stale' },
      });
    }
    expect(await postControl(relay, '{"v":1,"kind":"membership"}')).toMatchObject({
      status: 400,
      body: { ok: false, code: 'malformed' },
    });
    const get = await fetch(`${relay.httpUrl}${RELAY_CONTROL_PATH}`);
    expect(get.status).toBe(405);
    const huge = JSON.stringify({
      ...controlMessage({ kind: 'studio-deleted', studio: STUDIO }),
      pad: 'x'.repeat(8192),
    });
    expect(await postControl(relay, huge)).toMatchObject({
      status: 413,
      body: { ok: false, code: 'too-large' },
    });
    await stillTalking(target.client, owner.client, 'after refused controls');
    expect(target.client.isOpen && owner.client.isOpen).toBe(true);
  });
});

describe('control effects', () => {
  it('a revoked member is closed with membership-revoked and the others see it leave within 5 s', async () => {
    const owner = await member(testRecordId(), 'owner');
    const other = await member();
    const target = await member();
    // Two visits of the target user: both go.
    const targetTab = await member(target.sub);
    const oldTicket = ticket(target.sub);
    const started = Date.now();
    const reply = await postControl(
      relay,
      controlMessage({ kind: 'membership', studio: STUDIO, user: target.sub, role: null }),
    );
    expect(reply).toEqual({ status: 200, body: { ok: true, affected: 2 } });
    for (const visit of [target, targetTab]) {
      expect(await visit.client.closed).toEqual({ code: 4003, reason: ErrorCode.MembershipRevoked });
      expect(visit.client.pending().find((m) => m.type === 'error')).toEqual({
        type: 'error',
        code: ErrorCode.MembershipRevoked,
        topic: TOPIC,
        message: 'You are no longer a member of this studio.',
      });
    }
    for (const witness of [owner, other]) {
      for (const visit of [target, targetTab]) {
        expect(
          await witness.client.next(
            (m) => m.type === 'peer-left' && m.peerId === visit.client.peerId,
            WITHIN_MS,
          ),
        ).toMatchObject({ reason: ErrorCode.MembershipRevoked });
      }
    }
    expect(Date.now() - started).toBeLessThan(WITHIN_MS);
    await stillTalking(owner.client, other.client, 'after the revoke');

    // The ticket fetched before the removal opens nothing any more.
    const comeback = await clients.connect();
    expect(await comeback.subscribe(TOPIC, oldTicket)).toMatchObject({
      type: 'error',
      code: ErrorCode.MembershipRevoked,
    });
  });

  it('a role change reaches everyone, the changed member included, and stamps its later publishes', async () => {
    const owner = await member(testRecordId(), 'owner');
    const target = await member();
    await owner.client.next((m) => m.type === 'peer-joined');
    const promote = controlMessage({
      kind: 'membership',
      studio: STUDIO,
      user: target.sub,
      role: 'engineer',
    });
    expect(await postControl(relay, promote)).toEqual({ status: 200, body: { ok: true, affected: 1 } });
    const expected = { ...target.client.self, role: 'engineer' };
    for (const client of [owner.client, target.client]) {
      expect(await client.next<PeerUpdatedMessage>((m) => m.type === 'peer-updated', WITHIN_MS)).toEqual({
        type: 'peer-updated',
        topic: TOPIC,
        peer: expected,
      });
    }
    target.client.send({ type: 'publish', topic: TOPIC, data: 'as engineer' });
    expect((await owner.client.next<ForwardedPublishMessage>((m) => m.type === 'publish')).from).toEqual(
      expected,
    );

    // The same role again changes nothing and tells nobody.
    expect(await postControl(relay, promote)).toEqual({ status: 200, body: { ok: true, affected: 0 } });
    // A replay of an older, different change is superseded.
    const older = { ...promote, role: null, iat: promote.iat - 1 };
    expect(await postControl(relay, older)).toMatchObject({ status: 200, body: { ok: true, affected: 0 } });
    await stillTalking(owner.client, target.client, 'after the no-ops');
    expect(owner.client.pending().some((m) => m.type === 'peer-updated' || m.type === 'peer-left')).toBe(
      false,
    );
    expect(target.client.isOpen).toBe(true);
  });

  it('a deleted studio closes every connection with studio-deleted and refuses its old tickets', async () => {
    const owner = await member(testRecordId(), 'owner');
    const a = await member();
    const b = await member();
    const elsewhere = await clients.connect();
    await elsewhere.join(studioTopic(`${STUDIO}z`), signTicket(TEST_TICKET_SECRET, { studio: `${STUDIO}z` }));
    const oldTicket = ticket(a.sub);

    const reply = await postControl(relay, controlMessage({ kind: 'studio-deleted', studio: STUDIO }));
    expect(reply).toEqual({ status: 200, body: { ok: true, affected: 3 } });
    for (const visit of [owner, a, b]) {
      expect(await visit.client.closed).toEqual({ code: 4004, reason: ErrorCode.StudioDeleted });
      expect(visit.client.pending().find((m) => m.type === 'error')).toMatchObject({
        code: ErrorCode.StudioDeleted,
        message: 'This studio was deleted.',
      });
    }
    // Another studio's member is untouched.
    expect(elsewhere.isOpen).toBe(true);
    const late = await clients.connect();
    expect(await late.subscribe(TOPIC, oldTicket)).toMatchObject({
      type: 'error',
      code: ErrorCode.StudioDeleted,
    });
    const health = (await (await fetch(`${relay.httpUrl}/healthz`)).json()) as { topics: number };
    expect(health.topics).toBeGreaterThanOrEqual(1);
  });

  it('never logs user ids from control messages', () => {
    const output = relay.output();
    expect(usedSubs.size).toBeGreaterThan(5);
    for (const sub of usedSubs) expect(output).not.toContain(sub);
    expect(output).not.toContain(STUDIO.replace(/\d+$/, ''));
    expect(relay.output()).toContain('"event":"control-applied"');
  });
});
