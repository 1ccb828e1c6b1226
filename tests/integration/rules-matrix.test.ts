/**
 * Every cell of the rules matrix (tests/support/rules-matrix.mjs) against the real PocketBase build,
 * through the REST API with the JS SDK: list (does the record appear), view, update and delete (the
 * status, and whether the record changed or is gone, read back as a superuser), create (the status).
 * A fresh record per update and delete, so cells cannot depend on each other's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crowdRateLimitsEnv } from '../../scripts/lib/crowd-rate-limits.mjs';
import type { TypedPocketBase } from '../../src/lib/pb/client';
import { joinStudio } from '../../src/lib/pb/client';
import type { StudiosRecord } from '../../src/lib/pb/types';
import { wavHeader } from '../../src/lib/recording/formats/wav';
import { ACTORS, OPERATIONS, RULES_MATRIX, type Actor } from '../support/rules-matrix.mjs';
import {
  guestClient,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

let server: RunningPocketBase;
let su: TypedPocketBase;

interface World {
  studio: StudiosRecord;
  owner: TestUser;
  engineer: TestUser;
  member: TestUser;
  other: TestUser;
  /** Another member of S: the users/recordings rows are about them and their records. */
  target: TestUser;
}
let w: World;

const DENIED = [400, 401, 403, 404];
let counter = 0;
const next = () => `${Date.now().toString(36)}${(counter += 1)}`;

function client(actor: Actor): TypedPocketBase {
  switch (actor) {
    case 'anonymous':
      return guestClient(server.url);
    case 'other user':
      return w.other.pb;
    case 'member':
      return w.member.pb;
    case 'engineer':
      return w.engineer.pb;
    case 'owner':
      return w.owner.pb;
  }
}
function actorId(actor: Actor): string {
  return actor === 'anonymous' ? w.other.id : (client(actor).authStore.record?.id ?? '');
}

async function addMember(studioId: string, userId: string, role: 'member' | 'engineer'): Promise<string> {
  return (await su.collection('memberships').create({ studio: studioId, user: userId, role })).id;
}

/** A private studio of the world's owner, with its engineer and member. */
async function newStudio(): Promise<string> {
  const s = await w.owner.pb
    .collection('studios')
    .create({ name: 'Matrix', slug: `matrix-${next()}`, owner: w.owner.id, visibility: 'private' });
  await addMember(s.id, w.engineer.id, 'engineer');
  await addMember(s.id, w.member.id, 'member');
  return s.id;
}

/** A new user who is a member of S. */
async function newMemberOfS(): Promise<TestUser> {
  const u = await signUp(server.url, 'Target');
  await addMember(w.studio.id, u.id, 'member');
  return u;
}

async function newRecording(): Promise<string> {
  const file = new File([new Uint8Array([1, 2, 3, 4])], 'take.ogg', { type: 'audio/ogg' });
  const r = await su.collection('recordings').create({
    studio: w.studio.id,
    uploader: w.target.id,
    name: 'A take',
    kind: 'mix',
    takeId: `take-${next()}`,
    durationFrames: 48000,
    bytes: 4,
    file,
  });
  return r.id;
}

/** A small WAV: the backing_tracks hook judges files by their bytes. */
function trackFile(): File {
  const header = wavHeader({ channels: 1, sampleRate: 48000, frames: 16 });
  return new File([new Uint8Array(header), new Uint8Array(48)], 'track.wav', { type: 'audio/wav' });
}

async function newBackingTrack(): Promise<string> {
  const r = await su
    .collection('backing_tracks')
    .create({ studio: w.studio.id, uploader: w.target.id, title: 'A track', file: trackFile() });
  return r.id;
}

async function newUpload(): Promise<string> {
  const r = await su.collection('recording_uploads').create({
    studio: w.studio.id,
    uploader: w.target.id,
    name: 'A take',
    kind: 'mix',
    takeId: `take-${next()}`,
    size: 10,
    received: 0,
    fileName: 'take.ogg',
  });
  return r.id;
}

async function newInvitation(): Promise<string> {
  const created = await w.owner.pb.send<{ id: string }>(
    `/api/bandmesh/studios/${w.studio.slug}/invitations`,
    {
      method: 'POST',
      body: { role: 'member', maxUses: 1, expiresInHours: 24 },
      requestKey: null,
    },
  );
  return created.id;
}

/** How each collection's rows are made and touched. */
interface Fixture {
  /** A fresh record the row is about. */
  make: () => Promise<string>;
  /** The body an actor creates a record with. */
  createBody: (actor: Actor) => Record<string, unknown>;
  /** An update, and how to read back whether it happened. */
  update: { body: Record<string, unknown>; field: string; value: unknown };
}

const FIXTURES: Record<string, Fixture> = {
  users: {
    make: async () => (await newMemberOfS()).id,
    createBody: () => {
      const email = `matrix-${next()}@bandmesh.test`;
      return {
        email,
        password: 'correct-horse-battery',
        passwordConfirm: 'correct-horse-battery',
        name: 'New',
      };
    },
    update: { body: { name: 'Renamed by the matrix' }, field: 'name', value: 'Renamed by the matrix' },
  },
  studios: {
    make: newStudio,
    createBody: (actor) => ({
      name: 'Created',
      slug: `created-${next()}`,
      owner: actorId(actor),
      visibility: 'private',
    }),
    update: {
      body: { description: 'changed by the matrix' },
      field: 'description',
      value: 'changed by the matrix',
    },
  },
  memberships: {
    make: async () => {
      const u = await signUp(server.url, 'Target');
      return addMember(w.studio.id, u.id, 'member');
    },
    createBody: (actor) => ({ studio: w.studio.id, user: actorId(actor), role: 'member' }),
    update: { body: { role: 'engineer' }, field: 'role', value: 'engineer' },
  },
  invitations: {
    make: newInvitation,
    createBody: (actor) => ({
      studio: w.studio.id,
      role: 'member',
      tokenHash: 'a'.repeat(64),
      expires: '2099-01-01 00:00:00.000Z',
      maxUses: 100,
      createdBy: actorId(actor),
    }),
    update: { body: { revoked: true }, field: 'revoked', value: true },
  },
  recordings: {
    make: newRecording,
    createBody: (actor) => ({
      studio: w.studio.id,
      uploader: actorId(actor),
      name: 'Forged',
      kind: 'mix',
      takeId: `forged-${next()}`,
      bytes: 4,
      file: new File([new Uint8Array([1, 2, 3, 4])], 'forged.ogg', { type: 'audio/ogg' }),
    }),
    update: { body: { name: 'Renamed take' }, field: 'name', value: 'Renamed take' },
  },
  backing_tracks: {
    make: newBackingTrack,
    createBody: (actor) => ({
      studio: w.studio.id,
      uploader: actorId(actor),
      title: 'Created',
      file: trackFile(),
    }),
    update: { body: { title: 'Renamed track' }, field: 'title', value: 'Renamed track' },
  },
  recording_uploads: {
    make: newUpload,
    createBody: (actor) => ({
      studio: w.studio.id,
      uploader: actorId(actor),
      name: 'Forged',
      kind: 'mix',
      takeId: `forged-${next()}`,
      size: 10,
      fileName: 'forged.ogg',
    }),
    update: { body: { received: 5 }, field: 'received', value: 5 },
  },
};

async function status(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

beforeAll(async () => {
  server = await startPocketBase({ env: { ...crowdRateLimitsEnv(), BANDMESH_REQUIRE_VERIFIED: 'false' } });
  su = await superuserClient(server.url);
  const owner = await signUp(server.url, 'Owner');
  const engineer = await signUp(server.url, 'Engineer');
  const member = await signUp(server.url, 'Member');
  const other = await signUp(server.url, 'Other');
  const target = await signUp(server.url, 'Target');
  const created = await owner.pb
    .collection('studios')
    .create({ name: 'Matrix S', slug: 'matrix-s', owner: owner.id, visibility: 'unlisted' });
  for (const u of [engineer, member, target]) await joinStudio(u.pb, created.slug);
  const eng = await su
    .collection('memberships')
    .getFirstListItem(`studio = "${created.id}" && user = "${engineer.id}"`);
  await su.collection('memberships').update(eng.id, { role: 'engineer' });
  const studio = await su.collection('studios').update(created.id, { visibility: 'private' });
  w = { studio, owner, engineer, member, other, target };
});

afterAll(async () => {
  await server?.stop();
});

describe('the rules matrix', () => {
  it('has a row for every non-system collection the server has', async () => {
    const collections = await su.collections.getFullList();
    const names = collections.filter((c) => !c.system).map((c) => c.name);
    expect(names.sort()).toEqual(RULES_MATRIX.map((r) => r.collection).sort());
  });
});

for (const row of RULES_MATRIX) {
  describe(`${row.collection} (${row.target})`, () => {
    const fixture = FIXTURES[row.collection]!;
    let shared = '';
    beforeAll(async () => {
      shared = await fixture.make();
    });

    for (const op of OPERATIONS) {
      for (const actor of ACTORS) {
        const allowed = row.allowed[op].includes(actor);
        it(`${op} by ${actor}: ${allowed ? 'allowed' : 'refused'}`, async () => {
          const records = client(actor).collection(row.collection);
          if (op === 'list') {
            let ids: string[] = [];
            try {
              ids = (await records.getFullList({ filter: `id = "${shared}"`, requestKey: null })).map(
                (r) => r.id,
              );
            } catch (error) {
              expect(DENIED).toContain((error as { status: number }).status);
            }
            expect(ids.includes(shared)).toBe(allowed);
          } else if (op === 'view') {
            const got = await status(records.getOne(shared, { requestKey: null }));
            if (allowed) expect(got).toBe(200);
            else expect(DENIED).toContain(got);
          } else if (op === 'create') {
            const got = await status(records.create(fixture.createBody(actor), { requestKey: null }));
            if (allowed) expect(got).toBe(200);
            else expect(DENIED).toContain(got);
          } else if (op === 'update') {
            const id = await fixture.make();
            const { body, field, value } = fixture.update;
            const got = await status(records.update(id, body, { requestKey: null }));
            const after = await su.collection(row.collection).getOne(id);
            if (allowed) {
              expect(got).toBe(200);
              expect(after[field]).toEqual(value);
            } else {
              expect(DENIED).toContain(got);
              expect(after[field]).not.toEqual(value);
            }
          } else {
            const id = await fixture.make();
            const got = await status(records.delete(id, { requestKey: null }));
            const still = await status(su.collection(row.collection).getOne(id));
            if (allowed) {
              expect(got).toBe(200);
              expect(still).toBe(404);
            } else {
              expect(DENIED).toContain(got);
              expect(still).toBe(200);
            }
          }
        });
      }
    }
  });
}
