/**
 * Data rights (issue 10) against the real PocketBase: "Download my data" holds the person's rows and
 * nobody else's, and deleting the account (password again) leaves nothing of them in any table of
 * data.db nor under storage/, hands an owned studio to its oldest engineer and deletes the others.
 * Hostile callers: no token, a bad or reused token, a superuser token, the wrong password, another
 * user's token with the victim's password, and the plain records API.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudiosRecord } from '../../src/lib/pb/types';
import { uploadTake } from '../../src/lib/recording/upload';
import { uploadRoutes, type UploadState } from '../../src/lib/recording/upload-api';
import { png } from '../support/png';
import {
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

const EXPORT = '/api/bandmesh/me/export';
const DELETE = '/api/bandmesh/me/delete';

let server: RunningPocketBase;
let slugCounter = 0;

beforeAll(async () => {
  try {
    execFileSync('sqlite3', ['-version']);
  } catch {
    throw new Error('This test reads data.db with the sqlite3 command-line tool: apt-get install sqlite3');
  }
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

async function studioOf(owner: TestUser, name: string): Promise<StudiosRecord> {
  slugCounter += 1;
  return owner.pb
    .collection('studios')
    .create({ name, slug: `rights-${process.pid}-${slugCounter}`, owner: owner.id, visibility: 'unlisted' });
}

async function joinAs(user: TestUser, studio: StudiosRecord, role?: 'engineer'): Promise<void> {
  await user.pb.send(`/api/bandmesh/studios/${studio.slug}/join`, { method: 'POST' });
  if (!role) return;
  const su = await superuserClient(server.url);
  const m = await su
    .collection('memberships')
    .getFirstListItem(`studio = "${studio.id}" && user = "${user.id}"`);
  await su.collection('memberships').update(m.id, { role });
}

/** A raw request, so bad tokens can be sent exactly as given. */
async function call(
  path: string,
  token: string | null,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes, checked field by field
): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: token }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

/** Every row of every table in data.db, as JSON text (sqlite3 reads alongside the running server). */
function everyRow(): string {
  const db = join(server.dataDir, 'data.db');
  const tables = execFileSync(
    'sqlite3',
    ['-readonly', db, "SELECT name FROM sqlite_master WHERE type = 'table'"],
    {
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter(Boolean);
  expect(tables).toEqual(
    expect.arrayContaining(['users', 'studios', 'memberships', 'recordings', '_authOrigins']),
  );
  return tables
    .map((t) =>
      execFileSync('sqlite3', ['-readonly', '-json', db, `SELECT * FROM "${t}"`], { encoding: 'utf8' }),
    )
    .join('\n');
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => join(dir, p));
}

/** PocketBase removes a deleted record's files just after the commit, in the background. */
async function untilNoFileMentions(id: string): Promise<string[]> {
  const roots = [join(server.dataDir, 'storage'), join(server.dataDir, 'bandmesh_uploads')];
  for (let deadline = Date.now() + 5000; ; await new Promise((r) => setTimeout(r, 50))) {
    const left = roots.flatMap(filesUnder).filter((p) => p.includes(id));
    if (left.length === 0 || Date.now() > deadline) return left;
  }
}

interface World {
  subject: TestUser;
  handed: StudiosRecord;
  lonely: StudiosRecord;
  elsewhere: StudiosRecord;
  firstEngineer: TestUser;
  laterEngineer: TestUser;
  member: TestUser;
  otherOwner: TestUser;
  recordingId: string;
  uploadId: string;
}

/** The subject with an avatar, two studios, a membership elsewhere, an uploaded take and an unfinished one. */
async function world(): Promise<World> {
  const subject = await signUp(server.url, 'Subject');
  const avatar = new FormData();
  avatar.append('avatar', new File([png(64)], 'me.png', { type: 'image/png' }));
  avatar.append('city', 'Bamako');
  await subject.pb.collection('users').update(subject.id, avatar);
  await subject.pb.collection('users').update(subject.id, { preferences: { theme: 'light' } });

  const [firstEngineer, laterEngineer, member, otherOwner] = (await Promise.all(
    ['First', 'Later', 'Member', 'Other'].map((n) => signUp(server.url, n)),
  )) as [TestUser, TestUser, TestUser, TestUser];
  const handed = await studioOf(subject, 'Handed over');
  await joinAs(firstEngineer, handed, 'engineer');
  await joinAs(laterEngineer, handed, 'engineer');
  await joinAs(member, handed);
  const lonely = await studioOf(subject, 'Lonely');
  await joinAs(member, lonely);
  const elsewhere = await studioOf(otherOwner, 'Elsewhere');
  await joinAs(subject, elsewhere);

  const { id: recordingId } = await uploadTake(subject.pb, {
    studioId: elsewhere.id,
    takeId: 'take-1',
    kind: 'mix',
    name: 'Blues in F',
    durationFrames: 48000,
    file: new File([new Uint8Array(20_000).fill(7)], 'take.wav', { type: 'audio/wav' }),
    onProgress: () => undefined,
  });
  const open = await subject.pb.send<UploadState>(uploadRoutes.start, {
    method: 'POST',
    body: {
      studio: elsewhere.id,
      takeId: 'take-2',
      kind: 'mix',
      name: 'Half',
      durationFrames: 1,
      size: 5000,
    },
    requestKey: null,
  });
  await subject.pb.send(uploadRoutes.upload(open.uploadId), {
    method: 'PUT',
    query: { offset: 0 },
    body: new Blob([new Uint8Array(1000)]),
    headers: { 'Content-Type': 'application/octet-stream' },
    requestKey: null,
  });
  return {
    subject,
    handed,
    lonely,
    elsewhere,
    firstEngineer,
    laterEngineer,
    member,
    otherOwner,
    recordingId,
    uploadId: open.uploadId,
  };
}

describe('download my data', () => {
  it("holds the person's profile, studios, memberships and takes, and nobody else's details", async () => {
    const w = await world();
    const { status, json } = await call(EXPORT, w.subject.pb.authStore.token);
    expect(status).toBe(200);
    expect(json.account).toMatchObject({
      id: w.subject.id,
      email: w.subject.email,
      name: 'Subject',
      city: 'Bamako',
      preferences: { theme: 'light' },
    });
    expect(json.account.avatar).toMatch(/\.png$/);
    expect(json.studiosOwned.map((s: { name: string }) => s.name).sort()).toEqual(['Handed over', 'Lonely']);
    expect(json.memberships).toHaveLength(3);
    expect(json.memberships).toContainEqual(
      expect.objectContaining({ studio: w.elsewhere.id, studioName: 'Elsewhere', role: 'member' }),
    );
    expect(json.recordings).toEqual([
      expect.objectContaining({
        id: w.recordingId,
        name: 'Blues in F',
        studio: w.elsewhere.id,
        bytes: 20_000,
      }),
    ]);
    expect(json.unfinishedUploads).toEqual([expect.objectContaining({ id: w.uploadId, received: 1000 })]);
    const text = JSON.stringify(json);
    for (const other of [w.firstEngineer, w.laterEngineer, w.member, w.otherOwner]) {
      expect(text).not.toContain(other.email);
      expect(text).not.toContain(other.id);
    }
  });

  it('answers only a signed-in user, for themselves', async () => {
    expect((await call(EXPORT, null)).status).toBe(401);
    expect((await call(EXPORT, 'not-a-token')).status).toBe(401);
    const su = await superuserClient(server.url);
    expect((await call(EXPORT, su.authStore.token)).json.code).toBe('unauthorized');
  });
});

describe('delete my account', () => {
  it('refuses without the right password, and from anyone but the account itself', async () => {
    const victim = await signUp(server.url, 'Victim');
    const attacker = await signUp(server.url, 'Attacker');
    // Test users share one password; the victim gets their own, so the attacker's is not theirs.
    victim.password = 'the-victims-own-password';
    await victim.pb.collection('users').update(victim.id, {
      oldPassword: 'correct-horse-battery',
      password: victim.password,
      passwordConfirm: victim.password,
    });
    await victim.pb.collection('users').authWithPassword(victim.email, victim.password);

    const missing = await call(DELETE, victim.pb.authStore.token, {});
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe('invalid-request');
    const wrong = await call(DELETE, victim.pb.authStore.token, { password: 'not-the-password' });
    expect(wrong).toEqual({
      status: 400,
      json: {
        code: 'wrong-password',
        message: 'That password is not right, so your account has not been deleted.',
      },
    });
    const huge = await call(DELETE, victim.pb.authStore.token, { password: 'x'.repeat(100_000) });
    expect(huge.json.code).toBe('wrong-password');

    // The victim's password with the attacker's token, and the victim's id in the body: the route only
    // ever acts on the token's own account, and checks the password against it.
    const forged = await call(DELETE, attacker.pb.authStore.token, {
      password: victim.password,
      id: victim.id,
      user: victim.id,
    });
    expect(forged.json.code).toBe('wrong-password');
    expect((await call(DELETE, null, { password: victim.password })).status).toBe(401);
    expect((await call(DELETE, 'forged.token.value', { password: victim.password })).status).toBe(401);
    const su = await superuserClient(server.url);
    expect((await call(DELETE, su.authStore.token, { password: victim.password })).status).toBe(401);

    // The records API no longer deletes accounts at all (the password and the hand-over are skipped there).
    expect((await rejection(victim.pb.collection('users').delete(victim.id))).status).toBe(403);
    expect(
      (await rejection(attacker.pb.collection('users').delete(victim.id))).status,
    ).toBeGreaterThanOrEqual(403);

    expect((await su.collection('users').getOne(victim.id)).email).toBe(victim.email);
    expect((await su.collection('users').getOne(attacker.id)).email).toBe(attacker.email);
  });

  it('leaves nothing of the person in any table or on disk, and keeps the band its studio', async () => {
    const w = await world();
    const su = await superuserClient(server.url);
    const avatar = (await su.collection('users').getOne(w.subject.id)).avatar;
    expect(filesUnder(join(server.dataDir, 'storage')).some((p) => p.endsWith(avatar))).toBe(true);
    expect(everyRow()).toContain(w.subject.email);

    const token = w.subject.pb.authStore.token;
    const { status, json } = await call(DELETE, token, { password: w.subject.password });
    expect(status).toBe(200);
    expect(json).toEqual({
      deleted: true,
      handedOver: [{ studio: w.handed.id, name: 'Handed over', owner: w.firstEngineer.id }],
      studiosDeleted: 1,
    });

    const rows = everyRow();
    expect(rows).not.toContain(w.subject.id);
    expect(rows).not.toContain(w.subject.email);
    expect(await untilNoFileMentions(w.subject.id)).toEqual([]);
    expect(await untilNoFileMentions(w.recordingId)).toEqual([]);
    expect(await untilNoFileMentions(w.uploadId)).toEqual([]);
    expect(filesUnder(join(server.dataDir, 'storage')).some((p) => p.endsWith(avatar))).toBe(false);

    // The oldest engineer owns the studio now, in the studio and in the membership; the rest stay.
    expect((await su.collection('studios').getOne(w.handed.id)).owner).toBe(w.firstEngineer.id);
    const roles = await su.collection('memberships').getFullList({ filter: `studio = "${w.handed.id}"` });
    expect(Object.fromEntries(roles.map((m) => [m.user, m.role]))).toEqual({
      [w.firstEngineer.id]: 'owner',
      [w.laterEngineer.id]: 'engineer',
      [w.member.id]: 'member',
    });
    expect((await rejection(su.collection('studios').getOne(w.lonely.id))).status).toBe(404);
    expect((await su.collection('studios').getOne(w.elsewhere.id)).owner).toBe(w.otherOwner.id);

    // The old token opens nothing, and a second delete with it does nothing.
    expect((await call(EXPORT, token)).status).toBe(401);
    expect((await call(DELETE, token, { password: w.subject.password })).status).toBe(401);
  });
});
