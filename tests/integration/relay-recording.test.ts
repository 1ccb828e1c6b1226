/**
 * "Everyone knows" against the real relay process (issue 9, deliverable 5): the relay attests who
 * records. Hostile clients with real tickets try to record without the ticket's `rec`, to set
 * another member's flag, to hide a recording from a newcomer and to flood toggles; a member whose
 * permission is withdrawn by a control message is stopped at once. Needs `npm run build:relay`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/lib/protocol/errors';
import { RELAY_CONTROL_VERSION } from '../../src/lib/protocol/relay-control';
import type {
  ErrorMessage,
  PeerRecordingMessage,
  RecordingPermissionMessage,
  ServerMessage,
} from '../../src/lib/protocol/signaling';
import { RECORDING_TOGGLES_PER_SECOND } from '../../src/lib/protocol/signaling';
import {
  ClientPool,
  postControl,
  startRelay,
  studioSequence,
  type RunningRelay,
  type TestClient,
} from '../support/relay';
import { signTicket, TEST_TICKET_SECRET } from '../support/tickets';

/** Short, so a dropped recorder's grace can be waited out. */
const GRACE_MS = 1_500;

let relay: RunningRelay;
const clients = new ClientPool(() => relay.wsUrl);

let STUDIO = '';
let TOPIC = '';
const nextStudio = studioSequence('studiorec');
beforeEach(() => ({ studio: STUDIO, topic: TOPIC } = nextStudio()));

type Claims = { sub?: string; role?: 'owner' | 'engineer' | 'member'; rec?: boolean; iat?: number };
async function member(claims: Claims = {}): Promise<TestClient> {
  const client = await clients.connect();
  await client.join(TOPIC, signTicket(TEST_TICKET_SECRET, { studio: STUDIO, ...claims }));
  return client;
}

const isRecording = (peerId: string, on: boolean) => (m: ServerMessage) =>
  m.type === 'peer-recording' && m.peerId === peerId && m.on === on;
const isError = (code: string) => (m: ServerMessage) => m.type === 'error' && m.code === code;
const recordings = (client: TestClient): PeerRecordingMessage[] =>
  client.pending().filter((m): m is PeerRecordingMessage => m.type === 'peer-recording');

beforeAll(async () => {
  relay = await startRelay({ env: { BANDMESH_RELAY_RESUME_GRACE_MS: String(GRACE_MS) } });
});
afterAll(async () => {
  await clients.closeAll();
  expect(await relay?.stop()).toBe(0);
});

describe('who may record', () => {
  it('refuses `on` from a player whose ticket lacks rec, and tells nobody anything', async () => {
    const witness = await member({ rec: true });
    const player = await member(); // no rec claim: not allowed
    const forged = await member({ rec: false });
    for (const client of [player, forged]) {
      client.send({ type: 'recording', on: true });
      const refused = await client.next<ErrorMessage>(isError(ErrorCode.RecordingNotAllowed));
      expect(refused.topic).toBe(TOPIC);
      expect(refused.message).toMatch(/owner/);
    }
    await witness.settled();
    expect(recordings(witness)).toEqual([]);
    // Saying "off" is always fine: it changes nothing and is confirmed to the sender only.
    player.send({ type: 'recording', on: false });
    await player.next(isRecording(player.peerId, false));
    await witness.settled();
    expect(recordings(witness)).toEqual([]);
  });

  it('broadcasts a recorder with its attested peer id to everyone, itself included', async () => {
    const rec = await member({ rec: true });
    const other = await member();
    rec.send({ type: 'recording', on: true });
    for (const client of [rec, other]) {
      const heard = await client.next<PeerRecordingMessage>((m) => m.type === 'peer-recording');
      expect(heard).toEqual({ type: 'peer-recording', topic: TOPIC, peerId: rec.peerId, on: true });
    }
    rec.send({ type: 'recording', on: false });
    await other.next(isRecording(rec.peerId, false));
  });

  it("refuses a message that names someone else's flag, and sets nobody's flag with it", async () => {
    const victim = await member({ rec: true });
    const attacker = await member({ rec: true });
    const forgeries = [
      { type: 'recording', on: true, peerId: victim.peerId },
      { type: 'recording', on: false, peerId: victim.peerId },
      { type: 'recording', on: true, topic: TOPIC },
      { type: 'recording', on: 'true' },
      { type: 'peer-recording', topic: TOPIC, peerId: victim.peerId, on: true },
    ];
    for (const forged of forgeries) {
      attacker.send(forged);
      await attacker.next(isError(ErrorCode.Malformed));
    }
    await victim.settled();
    expect(recordings(victim)).toEqual([]);
    // A victim that records cannot be turned off by the attacker either.
    victim.send({ type: 'recording', on: true });
    await attacker.next(isRecording(victim.peerId, true));
    attacker.send({ type: 'recording', on: false, peerId: victim.peerId });
    await attacker.next(isError(ErrorCode.Malformed));
    const newcomer = await clients.connect();
    const joined = await newcomer.join(TOPIC, signTicket(TEST_TICKET_SECRET, { studio: STUDIO }));
    expect(joined.peers.find((p) => p.peerId === victim.peerId)?.recording).toBe(true);
    expect(joined.peers.find((p) => p.peerId === attacker.peerId)?.recording).toBeUndefined();
  });
});

describe('a newcomer and a leaver', () => {
  it('shows an ongoing recording in subscribed, with our own permission', async () => {
    const rec = await member({ rec: true });
    rec.send({ type: 'recording', on: true });
    await rec.next(isRecording(rec.peerId, true));
    const newcomer = await clients.connect();
    const joined = await newcomer.join(TOPIC, signTicket(TEST_TICKET_SECRET, { studio: STUDIO }));
    expect(joined.peers).toEqual([{ ...rec.self, recording: true }]);
    expect(joined.mayRecord).toBe(false);
    const allowed = await clients.connect();
    const joinedAllowed = await allowed.join(
      TOPIC,
      signTicket(TEST_TICKET_SECRET, { studio: STUDIO, rec: true }),
    );
    expect(joinedAllowed.mayRecord).toBe(true);
  });

  it('says off before peer-left when a recorder leaves, and when a dropped one outlives the grace', async () => {
    const witness = await member();
    const leaver = await member({ rec: true });
    const dropper = await member({ rec: true });
    for (const client of [leaver, dropper]) {
      client.send({ type: 'recording', on: true });
      await witness.next(isRecording(client.peerId, true));
    }
    await leaver.close();
    const order: string[] = [];
    for (let i = 0; i < 2; i++)
      order.push((await witness.next((m) => m.type === 'peer-recording' || m.type === 'peer-left')).type);
    expect(order).toEqual(['peer-recording', 'peer-left']);

    const dropped = Date.now();
    await dropper.drop();
    // Within the grace the recording stands (a resume may come); then off, then the leave.
    const off = await witness.next<PeerRecordingMessage>(
      isRecording(dropper.peerId, false),
      GRACE_MS + 5_000,
    );
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(off.on).toBe(false);
    await witness.next((m) => m.type === 'peer-left' && m.peerId === dropper.peerId);
  });

  it('a resume within the grace keeps the recording without anyone hearing off', async () => {
    const witness = await member();
    const sub = 'resumer0000001';
    const rec = await member({ rec: true, sub });
    rec.send({ type: 'recording', on: true });
    await witness.next(isRecording(rec.peerId, true));
    const resume = rec.resume;
    await rec.drop();
    const back = await clients.connect();
    const joined = await back.join(
      TOPIC,
      signTicket(TEST_TICKET_SECRET, { studio: STUDIO, sub, rec: true }),
      {
        client: rec.clientId,
        resume,
      },
    );
    expect(joined.self).toMatchObject({ peerId: rec.peerId, recording: true });
    await witness.settled();
    expect(recordings(witness)).toEqual([]);
  });
});

describe('abuse', () => {
  it('limits a toggle flood with errors, keeps the flooder connected and serves the others', async () => {
    const witness = await member();
    const honest = await member({ rec: true });
    const flooder = await member({ rec: true });
    const sent = 40;
    for (let i = 0; i < sent; i++) flooder.send({ type: 'recording', on: i % 2 === 0 });
    await flooder.settled();
    const refused = flooder.pending().filter((m) => m.type === 'error' && m.code === ErrorCode.RateLimited);
    expect(refused.length).toBeGreaterThan(0);
    expect(flooder.isOpen).toBe(true);
    await witness.settled();
    const heard = recordings(witness).filter((m) => m.peerId === flooder.peerId).length;
    // A burst of RECORDING_TOGGLES_PER_SECOND plus what refilled while the flood was read.
    expect(heard).toBeLessThan(sent / 2);
    expect(heard).toBeLessThanOrEqual(RECORDING_TOGGLES_PER_SECOND * 3);
    // The others are served as before.
    honest.send({ type: 'recording', on: true });
    await witness.next(isRecording(honest.peerId, true));
    honest.send({ type: 'publish', topic: TOPIC, data: 'still here' });
    await witness.next((m) => m.type === 'publish' && m.data === 'still here');
  });
});

describe('the studio setting changes while recording', () => {
  it('a recording-policy control stops a recorder no longer allowed at once, and refuses it after', async () => {
    const iat = Math.floor(Date.now() / 1000) - 2;
    const owner = await member({ role: 'owner', rec: true, iat });
    const player = await member({ role: 'member', rec: true, iat });
    player.send({ type: 'recording', on: true });
    owner.send({ type: 'recording', on: true });
    await owner.next(isRecording(player.peerId, true));
    await player.next(isRecording(owner.peerId, true));

    const started = Date.now();
    const reply = await postControl(relay, {
      v: RELAY_CONTROL_VERSION,
      kind: 'recording-policy',
      studio: STUDIO,
      policy: 'engineers',
      iat: Math.floor(Date.now() / 1000),
    });
    expect(reply.status).toBe(200);
    await owner.next(isRecording(player.peerId, false));
    expect(Date.now() - started).toBeLessThan(5_000);
    const permission = await player.next<RecordingPermissionMessage>(
      (m) => m.type === 'recording-permission',
    );
    expect(permission.allowed).toBe(false);
    await player.next(isError(ErrorCode.RecordingNotAllowed));
    // The owner may still record; the player is refused from now on.
    await owner.settled();
    expect(recordings(owner).filter((m) => m.peerId === owner.peerId && !m.on)).toEqual([]);
    player.send({ type: 'recording', on: true });
    await player.next(isError(ErrorCode.RecordingNotAllowed));
    // A ticket minted before the change cannot bring the permission back on a new visit.
    const again = await clients.connect();
    const joined = await again.join(
      TOPIC,
      signTicket(TEST_TICKET_SECRET, { studio: STUDIO, role: 'member', rec: true, iat }),
    );
    expect(joined.mayRecord).toBe(false);
  });
});
