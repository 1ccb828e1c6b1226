/**
 * "Recording allowed" end to end (issue 9, deliverable 5): the studio owner — and only the owner —
 * sets who may record; PocketBase signs the answer into each ticket (`rec`), and a change of the
 * setting or of a role reaches the live room through the relay's /control, stopping a recorder no
 * longer allowed within 5 s. Real PocketBase, real relay. Needs the built PocketBase binary and
 * `npm run build:relay`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket, joinStudio } from '../../src/lib/pb/client';
import { ErrorCode } from '../../src/lib/protocol/errors';
import type {
  PeerRecordingMessage,
  RecordingPermissionMessage,
  ServerMessage,
  SubscribedMessage,
} from '../../src/lib/protocol/signaling';
import { studioTopic } from '../../src/lib/protocol/ticket';
import { signUp, startPocketBase, type RunningPocketBase, type TestUser } from '../support/pocketbase';
import { startRelay, TestClient, type RunningRelay } from '../support/relay';

/** What issue 9 asks: a setting change stops a forbidden recorder within this. */
const WITHIN_MS = 5_000;

let pocketBase: RunningPocketBase;
let relay: RunningRelay;
const clients: TestClient[] = [];
let slugCounter = 0;

interface Player {
  user: TestUser;
  client: TestClient;
  joined: SubscribedMessage;
}

interface Studio {
  id: string;
  slug: string;
  owner: TestUser;
}

async function newStudio(): Promise<Studio> {
  slugCounter += 1;
  const owner = await signUp(pocketBase.url, 'Owner');
  const record = await owner.pb.collection('studios').create({
    name: 'Recording room',
    slug: `recording-room-${process.pid}-${slugCounter}`,
    owner: owner.id,
    visibility: 'unlisted',
  });
  return { id: record.id, slug: record.slug, owner };
}

async function addMember(
  studio: Studio,
  name: string,
  role: 'member' | 'engineer' = 'member',
): Promise<TestUser> {
  const user = await signUp(pocketBase.url, name);
  await joinStudio(user.pb, studio.slug);
  if (role !== 'member') await setRole(studio, user, role);
  return user;
}

async function setRole(studio: Studio, user: TestUser, role: 'member' | 'engineer'): Promise<void> {
  const m = await studio.owner.pb
    .collection('memberships')
    .getFirstListItem(`studio = "${studio.id}" && user = "${user.id}"`);
  await studio.owner.pb.collection('memberships').update(m.id, { role });
}

async function enter(studio: Studio, user: TestUser): Promise<Player> {
  const { ticket } = await fetchStudioTicket(user.pb, studio.slug);
  const client = await TestClient.connect(relay.wsUrl);
  clients.push(client);
  return { user, client, joined: await client.join(studioTopic(studio.id), ticket) };
}

const recordingOf = (peerId: string, on: boolean) => (m: ServerMessage) =>
  m.type === 'peer-recording' && m.peerId === peerId && m.on === on;

async function startRecording(player: Player, witness: Player): Promise<void> {
  player.client.send({ type: 'recording', on: true });
  await witness.client.next(recordingOf(player.joined.self.peerId, true));
}

beforeAll(async () => {
  const secret = randomBytes(24).toString('hex');
  relay = await startRelay({ ticketSecret: secret });
  pocketBase = await startPocketBase({ relay, env: { BANDMESH_TICKET_SECRET: secret } });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  const relayExit = await relay?.stop();
  await pocketBase?.stop();
  expect(relayExit).toBe(0);
});

describe('the recordingAllowed field', () => {
  it('defaults to everyone, members read it, and only the owner changes it (to one of three values)', async () => {
    const studio = await newStudio();
    const member = await addMember(studio, 'Hostile');
    const engineer = await addMember(studio, 'Engineer', 'engineer');
    expect((await member.pb.collection('studios').getOne(studio.id)).recordingAllowed).toBe('everyone');

    // A hostile member and an engineer try to open (or close) recording for themselves.
    for (const user of [member, engineer]) {
      for (const value of ['nobody', 'engineers', 'everyone']) {
        await expect(
          user.pb.collection('studios').update(studio.id, { recordingAllowed: value }),
        ).rejects.toMatchObject({ status: expect.any(Number) });
      }
    }
    await studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: 'nobody' });
    // Neither the member nor the engineer could undo it.
    for (const user of [member, engineer]) {
      await expect(
        user.pb.collection('studios').update(studio.id, { recordingAllowed: 'everyone' }),
      ).rejects.toBeTruthy();
    }
    expect((await member.pb.collection('studios').getOne(studio.id)).recordingAllowed).toBe('nobody');
    await expect(
      studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: 'admins' }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: '' }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('signs rec into each ticket from the setting and the role', async () => {
    const studio = await newStudio();
    const member = await addMember(studio, 'Member');
    const engineer = await addMember(studio, 'Engineer', 'engineer');
    const rec = async (user: TestUser) => (await fetchStudioTicket(user.pb, studio.slug)).rec;
    const table = async () => [await rec(studio.owner), await rec(engineer), await rec(member)];
    expect(await table()).toEqual([true, true, true]);
    await studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: 'engineers' });
    expect(await table()).toEqual([true, true, false]);
    await studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: 'nobody' });
    expect(await table()).toEqual([false, false, false]);
    // The relay agrees with what the ticket says.
    const player = await enter(studio, studio.owner);
    expect(player.joined.mayRecord).toBe(false);
  });
});

describe('changes reach the live room', () => {
  it('owner → engineers stops a recording member within 5 s; the owner and the engineer keep recording', async () => {
    const studio = await newStudio();
    const owner = await enter(studio, studio.owner);
    const member = await enter(studio, await addMember(studio, 'Member'));
    const engineer = await enter(studio, await addMember(studio, 'Engineer', 'engineer'));
    for (const p of [owner, member, engineer]) expect(p.joined.mayRecord).toBe(true);
    await startRecording(member, owner);
    await startRecording(engineer, owner);

    const started = Date.now();
    await studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: 'engineers' });
    const off = await owner.client.next<PeerRecordingMessage>(
      recordingOf(member.joined.self.peerId, false),
      WITHIN_MS,
    );
    expect(off.topic).toBe(studioTopic(studio.id));
    expect(Date.now() - started).toBeLessThan(WITHIN_MS);
    const permission = await member.client.next<RecordingPermissionMessage>(
      (m) => m.type === 'recording-permission',
      WITHIN_MS,
    );
    expect(permission.allowed).toBe(false);
    await member.client.next((m) => m.type === 'error' && m.code === ErrorCode.RecordingNotAllowed);
    // Refused from now on; the engineer is still shown recording to a newcomer.
    member.client.send({ type: 'recording', on: true });
    await member.client.next((m) => m.type === 'error' && m.code === ErrorCode.RecordingNotAllowed);
    const newcomer = await enter(studio, studio.owner);
    expect(newcomer.joined.peers.find((p) => p.peerId === engineer.joined.self.peerId)?.recording).toBe(true);
    expect(
      newcomer.joined.peers.find((p) => p.peerId === member.joined.self.peerId)?.recording,
    ).toBeUndefined();

    // Demoting the engineer to member under "engineers" stops that recording too.
    await setRole(studio, engineer.user, 'member');
    await owner.client.next(recordingOf(engineer.joined.self.peerId, false), WITHIN_MS);
    // Opening recording to everyone again lets the member start.
    await studio.owner.pb.collection('studios').update(studio.id, { recordingAllowed: 'everyone' });
    await member.client.next((m) => m.type === 'recording-permission' && m.allowed, WITHIN_MS);
    await startRecording(member, owner);
  });
});
