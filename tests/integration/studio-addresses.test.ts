/**
 * Studio addresses against the real PocketBase build: unlisted and private studios get a random
 * ending the server chooses, which a client can neither pick, nor drop, nor learn by probing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioPreview } from '../../src/lib/pb/client';
import {
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
} from '../support/pocketbase';

// pb_hooks/lib/slugs.js: readable part, a dash, 12 characters of lower-case base32.
const SUFFIXED = /^([a-z0-9][a-z0-9-]*)-([a-z2-7]{12})$/;

let server: RunningPocketBase;

beforeAll(async () => {
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

describe('studio addresses', () => {
  it('gives unlisted and private studios an unguessable address, whatever slug the client sends', async () => {
    const owner = await signUp(server.url, 'Owner');
    const slugs = new Set<string>();
    for (const visibility of ['unlisted', 'private'] as const) {
      for (let i = 0; i < 3; i += 1) {
        // A hostile client sends the exact address it wants, even one shaped like a suffixed one.
        const wanted = i === 2 ? 'my-band-abcdefghijkl' : 'my-band';
        const studio = await owner.pb
          .collection('studios')
          .create({ name: 'My band', slug: wanted, owner: owner.id, visibility });
        const match = SUFFIXED.exec(studio.slug);
        expect(match, studio.slug).not.toBeNull();
        expect(match?.[1]).toBe(wanted);
        expect(studio.slug).not.toBe(wanted);
        slugs.add(studio.slug);
      }
    }
    expect(slugs.size).toBe(6);
  });

  it('keeps the readable address of a public studio and still refuses a taken one', async () => {
    const a = await signUp(server.url, 'A');
    const b = await signUp(server.url, 'B');
    const studio = await a.pb
      .collection('studios')
      .create({ name: 'Open jam', slug: 'open-jam', owner: a.id, visibility: 'public' });
    expect(studio.slug).toBe('open-jam');
    const taken = await rejection(
      b.pb
        .collection('studios')
        .create({ name: 'Copy', slug: 'open-jam', owner: b.id, visibility: 'public' }),
    );
    expect(taken.status).toBe(400);
    expect(taken.response.data.slug.code).toBe('validation_not_unique');
  });

  it('tells a prober nothing: creating at a private studio’s address makes a different studio', async () => {
    const owner = await signUp(server.url, 'Keeper');
    const prober = await signUp(server.url, 'Prober');
    const secret = await owner.pb
      .collection('studios')
      .create({ name: 'Secret', slug: 'secret', owner: owner.id, visibility: 'private' });
    const probe = await prober.pb
      .collection('studios')
      .create({ name: 'Probe', slug: secret.slug, owner: prober.id, visibility: 'private' });
    expect(probe.slug).not.toBe(secret.slug);
    expect(probe.slug.startsWith(secret.slug.slice(0, 27))).toBe(true);
  });

  it('clips a long or empty readable part to fit, and refuses a malformed one', async () => {
    const owner = await signUp(server.url, 'Clip');
    const long = await owner.pb
      .collection('studios')
      .create({ name: 'Long', slug: 'a'.repeat(26) + '-bbbb', owner: owner.id, visibility: 'unlisted' });
    expect(long.slug).toMatch(/^a{26}-[a-z2-7]{12}$/);
    expect(long.slug.length).toBeLessThanOrEqual(40);
    const empty = await owner.pb
      .collection('studios')
      .create({ name: '東京', slug: '', owner: owner.id, visibility: 'unlisted' });
    expect(empty.slug).toMatch(/^studio-[a-z2-7]{12}$/);
    const bad = await rejection(
      owner.pb
        .collection('studios')
        .create({ name: 'Bad', slug: 'Bad Slug', owner: owner.id, visibility: 'unlisted' }),
    );
    expect(bad.response.data.slug).toBeDefined();
  });

  it('refuses any change of address by the owner, and moves a studio that stops being public', async () => {
    const owner = await signUp(server.url, 'Mover');
    const studio = await owner.pb
      .collection('studios')
      .create({ name: 'Was open', slug: 'was-open', owner: owner.id, visibility: 'public' });
    for (const slug of ['guessable', studio.slug.toUpperCase(), `${studio.slug}-x`]) {
      const error = await rejection(owner.pb.collection('studios').update(studio.id, { slug }));
      expect(error.status).toBe(400);
      expect(error.response.data.slug.code).toBe('studio_slug_locked');
      expect(error.response.data.slug.message).toMatch(/cannot be changed/);
    }
    const hidden = await owner.pb.collection('studios').update(studio.id, { visibility: 'unlisted' });
    expect(hidden.slug).toMatch(/^was-open-[a-z2-7]{12}$/);
    // The readable address no longer opens it, for anyone.
    expect((await rejection(fetchStudioPreview(owner.pb, 'was-open'))).status).toBe(404);
    // Made public again, it keeps the unguessable address (links shared meanwhile keep working).
    const reopened = await owner.pb.collection('studios').update(studio.id, { visibility: 'public' });
    expect(reopened.slug).toBe(hidden.slug);
    // Nor can the ending be dropped in the same request that changes visibility.
    const dropped = await rejection(
      owner.pb.collection('studios').update(studio.id, { visibility: 'private', slug: 'was-open' }),
    );
    expect(dropped.response.data.slug.code).toBe('studio_slug_locked');
  });

  it('lets a superuser move a studio (server administration)', async () => {
    const owner = await signUp(server.url, 'Admin');
    const studio = await owner.pb
      .collection('studios')
      .create({ name: 'Moved', slug: 'moved', owner: owner.id, visibility: 'public' });
    const su = await superuserClient(server.url);
    expect((await su.collection('studios').update(studio.id, { slug: 'moved-here' })).slug).toBe(
      'moved-here',
    );
  });
});
