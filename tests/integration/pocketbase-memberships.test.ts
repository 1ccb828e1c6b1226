/**
 * The memberships API rules against people trying to raise their own role: only a studio's owner
 * manages members, never to or from 'owner', whatever shape the request body takes. And a change
 * never waits for the relay: PocketBase answers even when the relay's control endpoint hangs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinStudio } from '../../src/lib/pb/client';
import type { MembershipsRecord, StudiosRecord } from '../../src/lib/pb/types';
import {
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

let server: RunningPocketBase;
/** A relay control endpoint that accepts the connection and never answers. */
let hangingRelay: Server;
let slugCounter = 0;

beforeAll(async () => {
  hangingRelay = createServer(() => undefined);
  await new Promise<void>((resolve) => hangingRelay.listen(0, '127.0.0.1', resolve));
  const { port } = hangingRelay.address() as AddressInfo;
  server = await startPocketBase({
    env: { BANDMESH_RELAY_CONTROL_URL: `http://127.0.0.1:${port}/control` },
  });
});

afterAll(async () => {
  await server?.stop();
  hangingRelay?.closeAllConnections();
  await new Promise((resolve) => hangingRelay?.close(resolve));
});

interface Band {
  studio: StudiosRecord;
  owner: TestUser;
  engineer: TestUser;
  member: TestUser;
  /** Signed in, not in the studio. */
  stranger: TestUser;
}

async function band(): Promise<Band> {
  slugCounter += 1;
  const owner = await signUp(server.url, 'Owner');
  const engineer = await signUp(server.url, 'Engineer');
  const member = await signUp(server.url, 'Member');
  const stranger = await signUp(server.url, 'Stranger');
  const studio = await owner.pb
    .collection('studios')
    .create({ name: 'Band', slug: `members-${slugCounter}`, owner: owner.id, visibility: 'public' });
  await joinStudio(engineer.pb, studio.slug);
  await joinStudio(member.pb, studio.slug);
  const b: Band = { studio, owner, engineer, member, stranger };
  await owner.pb.collection('memberships').update((await membershipOf(b, engineer)).id, { role: 'engineer' });
  return b;
}

async function membershipOf(b: Band, user: TestUser): Promise<MembershipsRecord> {
  const su = await superuserClient(server.url);
  return su.collection('memberships').getFirstListItem(`studio = "${b.studio.id}" && user = "${user.id}"`);
}

/** The membership as stored now (superuser view), to prove a refused request changed nothing. */
async function roleOf(b: Band, user: TestUser): Promise<string> {
  return (await membershipOf(b, user)).role;
}

describe('nobody but the owner manages members', () => {
  let b: Band;
  beforeAll(async () => {
    b = await band();
  });

  it('a member cannot raise their own role', async () => {
    const own = await membershipOf(b, b.member);
    for (const role of ['engineer', 'owner']) {
      const error = await rejection(b.member.pb.collection('memberships').update(own.id, { role }));
      expect(error.status).toBe(404);
    }
    expect(await roleOf(b, b.member)).toBe('member');
  });

  it('an engineer cannot change roles, their own or anyone else’s', async () => {
    const own = await membershipOf(b, b.engineer);
    const other = await membershipOf(b, b.member);
    expect(
      (await rejection(b.engineer.pb.collection('memberships').update(own.id, { role: 'owner' }))).status,
    ).toBe(404);
    expect(
      (await rejection(b.engineer.pb.collection('memberships').update(other.id, { role: 'engineer' })))
        .status,
    ).toBe(404);
    expect(await roleOf(b, b.engineer)).toBe('engineer');
    expect(await roleOf(b, b.member)).toBe('member');
  });

  it('nobody creates a membership through the API, whatever the role', async () => {
    for (const user of [b.stranger, b.member, b.owner]) {
      for (const role of ['member', 'engineer', 'owner']) {
        const error = await rejection(
          user.pb.collection('memberships').create({ studio: b.studio.id, user: user.id, role }),
        );
        expect(error.status).toBe(403);
      }
    }
    const other = await b.stranger.pb
      .collection('studios')
      .create({ name: 'Mine', slug: `members-own-${slugCounter}`, owner: b.stranger.id });
    // Not even the owner of another studio can put themselves into this one.
    const error = await rejection(
      b.stranger.pb
        .collection('memberships')
        .create({ studio: b.studio.id, user: b.stranger.id, role: 'owner' }),
    );
    expect(error.status).toBe(403);
    expect(other.owner).toBe(b.stranger.id);
  });

  it('the owner cannot make anyone owner, in any body shape', async () => {
    const target = await membershipOf(b, b.member);
    expect(
      (await rejection(b.owner.pb.collection('memberships').update(target.id, { role: 'owner' }))).status,
    ).toBe(404);
    // PocketBase stores the last value of a list for a single select, and the rule sees that same
    // value: ["owner","member"] is accepted as "member", every shape that would store "owner" is not.
    const form = new FormData();
    form.append('role', 'member');
    form.append('role', 'owner');
    const bodies: (Record<string, unknown> | FormData)[] = [
      { 'role+': 'owner' },
      { role: ['owner'] },
      { role: ['member', 'owner'] },
      { role: ['engineer', 'owner'] },
      { role: ['owner', 'member'] },
      form,
    ];
    for (const body of bodies) {
      const shape = body instanceof FormData ? 'form role=member&role=owner' : JSON.stringify(body);
      const outcome = await b.owner.pb
        .collection('memberships')
        .update(target.id, body)
        .then(
          (record) => record.role,
          (error: { status: number }) => error.status,
        );
      expect([404, 'member'], shape).toContain(outcome);
      expect(await roleOf(b, b.member), shape).toBe('member');
    }
  });

  it('the owner cannot move a membership to another user or studio', async () => {
    const target = await membershipOf(b, b.member);
    expect(
      (await rejection(b.owner.pb.collection('memberships').update(target.id, { user: b.stranger.id })))
        .status,
    ).toBe(404);
    const elsewhere = await b.owner.pb
      .collection('studios')
      .create({ name: 'Other', slug: `members-else-${slugCounter}`, owner: b.owner.id });
    expect(
      (await rejection(b.owner.pb.collection('memberships').update(target.id, { studio: elsewhere.id })))
        .status,
    ).toBe(404);
    expect(await membershipOf(b, b.member)).toMatchObject({ id: target.id, studio: b.studio.id });
  });

  it('another studio’s owner cannot touch this studio’s members', async () => {
    const target = await membershipOf(b, b.member);
    await b.stranger.pb
      .collection('studios')
      .create({ name: 'Theirs', slug: `members-theirs-${slugCounter}`, owner: b.stranger.id });
    expect(
      (await rejection(b.stranger.pb.collection('memberships').update(target.id, { role: 'engineer' })))
        .status,
    ).toBe(404);
    expect((await rejection(b.stranger.pb.collection('memberships').delete(target.id))).status).toBe(404);
    expect(await roleOf(b, b.member)).toBe('member');
  });

  it('a member cannot remove someone else, only leave', async () => {
    const other = await membershipOf(b, b.engineer);
    expect((await rejection(b.member.pb.collection('memberships').delete(other.id))).status).toBe(404);
    expect(await roleOf(b, b.engineer)).toBe('engineer');
  });
});

describe('changes never wait for the relay', () => {
  it('answers role changes and removals promptly while the relay’s control endpoint hangs', async () => {
    const b = await band();
    const target = await membershipOf(b, b.member);
    const started = Date.now();
    await b.owner.pb.collection('memberships').update(target.id, { role: 'engineer' });
    await b.owner.pb.collection('memberships').delete(target.id);
    await b.owner.pb.collection('studios').delete(b.studio.id);
    // The push's own timeout is 2 s per attempt; the API must not be waiting on any of it.
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
