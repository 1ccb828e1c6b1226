import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  guestClient,
  rejection,
  signUp,
  startPocketBase,
  type RunningPocketBase,
} from '../support/pocketbase';

let server: RunningPocketBase;

beforeAll(async () => {
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

describe('sign up', () => {
  it('creates an account with profile fields', async () => {
    const pb = guestClient(server.url);
    const password = 'a-long-enough-password';
    const user = await pb.collection('users').create({
      email: 'ada@bandmesh.test',
      password,
      passwordConfirm: password,
      name: 'Ada',
      instruments: ['bass', 'vocals'],
      skill: 'advanced',
      city: 'Lyon',
    });
    expect(user).toMatchObject({ name: 'Ada', instruments: ['bass', 'vocals'], skill: 'advanced' });
    expect(user.emailVisibility).toBe(false);
  });

  it('refuses a weak password with a field error', async () => {
    const error = await rejection(
      guestClient(server.url).collection('users').create({
        email: 'weak@bandmesh.test',
        password: 'short123',
        passwordConfirm: 'short123',
        name: 'W',
      }),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.password.code).toBe('validation_min_text_constraint');
  });

  it('refuses an email that is taken', async () => {
    const first = await signUp(server.url, 'Taken');
    const error = await rejection(
      guestClient(server.url).collection('users').create({
        email: first.email,
        password: 'another-long-password',
        passwordConfirm: 'another-long-password',
        name: 'Copy',
      }),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.email.code).toBe('validation_not_unique');
  });

  it('requires a name', async () => {
    const error = await rejection(
      guestClient(server.url).collection('users').create({
        email: 'noname@bandmesh.test',
        password: 'a-long-enough-password',
        passwordConfirm: 'a-long-enough-password',
      }),
    );
    expect(error.response.data.name.code).toBe('validation_required');
  });

  it('refuses instruments that are not a list of names', async () => {
    const error = await rejection(
      guestClient(server.url)
        .collection('users')
        .create({
          email: 'instr@bandmesh.test',
          password: 'a-long-enough-password',
          passwordConfirm: 'a-long-enough-password',
          name: 'I',
          instruments: { guitar: true },
        }),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.instruments.code).toBe('invalid_instruments');
  });
});

describe('email privacy', () => {
  it('refuses to turn emailVisibility on, at sign-up and later', async () => {
    const atSignUp = await rejection(
      guestClient(server.url).collection('users').create({
        email: 'public@bandmesh.test',
        password: 'a-long-enough-password',
        passwordConfirm: 'a-long-enough-password',
        name: 'P',
        emailVisibility: true,
      }),
    );
    expect(atSignUp.status).toBe(400);
    expect(atSignUp.response.data.emailVisibility.code).toBe('email_visibility_locked');

    const user = await signUp(server.url, 'Later');
    const later = await rejection(user.pb.collection('users').update(user.id, { emailVisibility: true }));
    expect(later.status).toBe(400);
    const record = await user.pb.collection('users').getOne(user.id);
    expect(record.emailVisibility).toBe(false);
  });

  it('never shows another user their email, in view or list', async () => {
    const owner = await signUp(server.url, 'Owner');
    const other = await signUp(server.url, 'Other');
    // Share a studio so that each appears in the other's user list.
    await owner.pb
      .collection('studios')
      .create({ name: 'Open', slug: `open-${Date.now()}`, owner: owner.id, visibility: 'public' });
    const studio = await owner.pb.collection('studios').getFirstListItem(`owner = "${owner.id}"`);
    await other.pb.send(`/api/bandmesh/studios/${studio.slug}/join`, { method: 'POST' });

    const viewed = await other.pb.collection('users').getOne(owner.id);
    expect(viewed.name).toBe('Owner');
    expect(viewed.email).toBeUndefined();

    const listed = await other.pb.collection('users').getFullList();
    const ownerInList = listed.find((u) => u.id === owner.id);
    expect(ownerInList?.name).toBe('Owner');
    expect(listed.every((u) => u.id === other.id || u.email === undefined)).toBe(true);
    expect(JSON.stringify(listed)).not.toContain(owner.email);

    const self = await other.pb.collection('users').getOne(other.id);
    expect(self.email).toBe(other.email);
  });

  it('lists only yourself and people you share a studio with', async () => {
    const loner = await signUp(server.url, 'Loner');
    const listed = await loner.pb.collection('users').getFullList();
    expect(listed.map((u) => u.id)).toEqual([loner.id]);
  });

  it('shows users to signed-in people only', async () => {
    const user = await signUp(server.url, 'Hidden');
    const error = await rejection(guestClient(server.url).collection('users').getOne(user.id));
    expect(error.status).toBe(404);
    const list = await guestClient(server.url).collection('users').getList(1, 50);
    expect(list.items).toEqual([]);
  });

  it('does not let a user change someone else', async () => {
    const a = await signUp(server.url, 'Alpha');
    const b = await signUp(server.url, 'Beta');
    const error = await rejection(b.pb.collection('users').update(a.id, { name: 'Hacked' }));
    expect(error.status).toBe(404);
    expect((await a.pb.collection('users').getOne(a.id)).name).toBe('Alpha');
  });
});
