/**
 * The public studio directory against the real PocketBase build and a real relay: only public
 * studios, whatever a hostile client asks; bounded input with plain 400s; member counts without
 * members' names; "playing now" from the relay, or unknown when no relay answers.
 */
import { randomBytes } from 'node:crypto';
import { ClientResponseError } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket, joinStudio } from '../../src/lib/pb/client';
import { DIRECTORY_PATH, fetchDirectory, type DirectoryPage } from '../../src/lib/pb/directory';
import { studioTopic } from '../../src/lib/protocol/ticket';
import {
  rejection,
  signUp,
  startPocketBase,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';
import { startRelay, TestClient, type RunningRelay } from '../support/relay';

let pocketBase: RunningPocketBase;
let relay: RunningRelay;
let owner: TestUser;
let browser: TestUser;
const clients: TestClient[] = [];

type Visibility = 'public' | 'unlisted' | 'private';

async function studio(name: string, visibility: Visibility, extra: Record<string, unknown> = {}) {
  return owner.pb.collection('studios').create({
    name,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    owner: owner.id,
    visibility,
    ...extra,
  });
}

const names = (page: DirectoryPage) => page.items.map((s) => s.name);

async function raw(user: TestUser | null, query: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${pocketBase.url}${DIRECTORY_PATH}${query}`, {
    headers: user ? { Authorization: user.pb.authStore.token } : {},
  });
  return { status: response.status, body: await response.text() };
}

beforeAll(async () => {
  const secret = randomBytes(24).toString('hex');
  relay = await startRelay({ ticketSecret: secret });
  pocketBase = await startPocketBase({ relay, env: { BANDMESH_TICKET_SECRET: secret } });
  owner = await signUp(pocketBase.url, 'Zelda Quist');
  browser = await signUp(pocketBase.url, 'Browser');
  await studio('Blue Note Jam', 'public', {
    genre: 'jazz',
    instruments: ['Double bass', 'Piano'],
    description: 'Standards on Sundays',
  });
  await studio('Garage Noise', 'public', { genre: 'rock', instruments: ['Drums', 'Guitar'] });
  await studio('Hidden Jazz Cellar', 'unlisted', { genre: 'jazz', instruments: ['Double bass'] });
  await studio('Secret Jazz Loft', 'private', { genre: 'jazz', instruments: ['Double bass'] });
  await studio('100% Funk_Club', 'public', { genre: 'funk-soul' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  const relayExit = await relay?.stop();
  await pocketBase?.stop();
  expect(relayExit).toBe(0);
});

describe('the studio directory', () => {
  it('shows a player in a live room as playing now, from the relay', async () => {
    // First directory request of this server: nothing cached before the player joined.
    const jam = await owner.pb.collection('studios').getFirstListItem(`name = "Garage Noise"`);
    const { ticket } = await fetchStudioTicket(owner.pb, jam.slug);
    const client = await TestClient.connect(relay.wsUrl);
    clients.push(client);
    await client.join(studioTopic(jam.id), ticket);

    const page = await fetchDirectory(browser.pb, { q: 'Garage' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ name: 'Garage Noise', playingNow: 1, memberCount: 1 });
    const quiet = await fetchDirectory(browser.pb, { q: 'Blue Note' });
    expect(quiet.items[0]).toMatchObject({ playingNow: 0 });
  });

  it('lists public studios only, in a stable order, with genre, instruments and member count', async () => {
    const fan = await signUp(pocketBase.url, 'Fan');
    await joinStudio(fan.pb, 'blue-note-jam');
    const page = await fetchDirectory(browser.pb, {});
    expect(names(page)).toEqual(['100% Funk_Club', 'Blue Note Jam', 'Garage Noise']);
    expect(page).toMatchObject({ page: 1, totalItems: 3, totalPages: 1 });
    expect(page.items[1]).toMatchObject({
      slug: 'blue-note-jam',
      genre: 'jazz',
      instruments: ['Double bass', 'Piano'],
      memberCount: 2,
      description: 'Standards on Sundays',
    });
    expect(page.items.map((s) => s.isMember)).toEqual([false, false, false]);
    const asFan = await fetchDirectory(fan.pb, { q: 'Jam', genre: 'jazz' });
    expect(asFan.items.map((s) => [s.name, s.isMember])).toEqual([['Blue Note Jam', true]]);
  });

  it('never shows an unlisted or private studio, searched by exact name, slug, genre or instrument', async () => {
    const hidden = await owner.pb.collection('studios').getFullList({ filter: `visibility != "public"` });
    expect(hidden).toHaveLength(2);
    const queries = [
      ...hidden.flatMap((s) => [{ q: s.name }, { q: s.slug }, { q: s.id }]),
      { genre: 'jazz' },
      { instrument: 'double bass' },
      { q: 'Jazz' },
      { q: 'Cellar' },
      { q: 'Loft' },
    ];
    for (const query of queries) {
      for (const user of [browser, owner]) {
        const page = await fetchDirectory(user.pb, query);
        for (const s of hidden) expect(JSON.stringify(page), JSON.stringify(query)).not.toContain(s.id);
      }
    }
    // Parameters the route does not know (a visibility, a PocketBase filter) change nothing.
    const smuggled = await raw(
      owner,
      `?visibility=unlisted&filter=${encodeURIComponent('visibility != "public"')}&genre=jazz&perPage=50`,
    );
    expect(smuggled.status).toBe(200);
    expect(JSON.parse(smuggled.body).items.map((s: { name: string }) => s.name)).toEqual(['Blue Note Jam']);
    expect(names(await fetchDirectory(browser.pb, { genre: 'jazz' }))).toEqual(['Blue Note Jam']);
    expect(names(await fetchDirectory(browser.pb, { instrument: 'BASS' }))).toEqual(['Blue Note Jam']);
    expect(names(await fetchDirectory(browser.pb, { q: 'sundays' }))).toEqual(['Blue Note Jam']);
  });

  it('treats injection attempts in q as plain text', async () => {
    const attempts = [
      `' OR 1=1 --`,
      `") || visibility != "public`,
      `%' OR s.visibility = 'private' --`,
      `x' UNION SELECT id,name,slug,description,genre,instruments,1 FROM studios --`,
      `visibility = "private"`,
      `\\`,
    ];
    for (const q of attempts) {
      const page = await fetchDirectory(browser.pb, { q, instrument: q.slice(0, 40) });
      expect(page.items, q).toEqual([]);
    }
    // % and _ are matched literally, not as wildcards.
    expect(names(await fetchDirectory(browser.pb, { q: '%' }))).toEqual(['100% Funk_Club']);
    expect(names(await fetchDirectory(browser.pb, { q: '_' }))).toEqual(['100% Funk_Club']);
    expect(names(await fetchDirectory(browser.pb, { q: 'e%N' }))).toEqual([]);
  });

  it('pages without repeats or gaps, and answers a page past the end with no studios', async () => {
    for (let i = 0; i < 5; i += 1) await studio(`Open Mic ${i}`, 'public');
    const seen: string[] = [];
    for (let page = 1; page <= 3; page += 1) {
      const answer = await fetchDirectory(browser.pb, { q: 'Open Mic', perPage: 2, page });
      expect(answer).toMatchObject({ totalItems: 5, totalPages: 3 });
      seen.push(...names(answer));
    }
    expect(seen).toEqual(['Open Mic 0', 'Open Mic 1', 'Open Mic 2', 'Open Mic 3', 'Open Mic 4']);
    const far = await fetchDirectory(browser.pb, { page: 10000, perPage: 50 });
    expect(far.items).toEqual([]);
  });

  it('refuses bad input with a 400 a person understands, and keeps serving', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?perPage=-1', /perPage must be a whole number from 1 to 50/],
      ['?perPage=51', /perPage must be a whole number from 1 to 50/],
      ['?page=0', /page must be a whole number from 1 to 10000/],
      ['?page=99999999999999999999', /page must be a whole number/],
      ['?page=10001', /page must be a whole number/],
      ['?page=abc', /page must be a whole number/],
      [`?q=${'a'.repeat(81)}`, /Search for at most 80 characters/],
      [`?instrument=${'b'.repeat(41)}`, /at most 40 characters/],
      ['?genre=polka', /There is no genre "polka". Pick one of: rock, pop, jazz/],
      ['?q=%FF', /Search for at most 80 characters/],
    ];
    for (const [query, message] of cases) {
      const answer = await raw(browser, query);
      expect(answer.status, query).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({
        code: 'bad-query',
        message: expect.stringMatching(message),
      });
    }
    expect((await raw(browser, '?perPage=50')).status).toBe(200);
  });

  it('needs a signed-in player and never names members', async () => {
    const guest = await raw(null, '');
    expect(guest.status).toBe(401);
    expect(JSON.parse(guest.body).message).toMatch(/Sign in/);
    const forged = await raw(
      { ...browser, pb: { authStore: { token: 'eyJhbGciOiJIUzI1NiJ9.e30.forged' } } } as TestUser,
      '',
    );
    expect(forged.status).toBe(401);
    const answer = await raw(browser, '?perPage=50');
    expect(answer.body).not.toContain('Zelda');
    expect(answer.body).not.toContain(owner.email);
    expect(answer.body).not.toContain(owner.id);
  });
});

describe('the studio directory fields', () => {
  it('lets only the owner set genre and instruments, within limits, with clear errors', async () => {
    const s = await studio('Fields Test', 'public');
    const member = await signUp(pocketBase.url, 'Member');
    await joinStudio(member.pb, s.slug);
    const fail = async (body: Record<string, unknown>, who = owner) =>
      rejection(who.pb.collection('studios').update(s.id, body));

    const many = await fail({ instruments: Array.from({ length: 13 }, (_, i) => `i${i}`) });
    expect(many.status).toBe(400);
    expect(many.response.data.instruments).toMatchObject({ message: 'List at most 12 instruments.' });
    expect((await fail({ instruments: ['x'.repeat(41)] })).response.data.instruments.code).toBe(
      'invalid_instruments',
    );
    expect((await fail({ instruments: 'drums' })).response.data.instruments.code).toBe('invalid_instruments');
    expect((await fail({ instruments: [{ name: 'drums' }] })).status).toBe(400);
    expect((await fail({ instruments: ['Bass', 'bass'] })).response.data.instruments.message).toMatch(
      /listed twice/,
    );
    expect((await fail({ genre: 'polka' })).status).toBe(400);
    const huge = await fail({ instruments: ['y'.repeat(5000)] });
    expect(huge.status).toBe(400);

    const memberTry = await fail({ genre: 'metal', instruments: ['Kazoo'] }, member);
    expect(memberTry.status).toBe(404);
    await owner.pb.collection('studios').update(s.id, { genre: 'metal', instruments: ['Kazoo'] });
    expect(names(await fetchDirectory(browser.pb, { instrument: 'kazoo' }))).toEqual(['Fields Test']);
    await expect(
      owner.pb
        .collection('studios')
        .create({ name: 'Bad', slug: 'bad-one', owner: owner.id, instruments: 'x' }),
    ).rejects.toBeInstanceOf(ClientResponseError);
  });
});

describe('without a reachable relay', () => {
  let lonely: RunningPocketBase;
  beforeAll(async () => {
    // Nothing listens on port 9: the relay cannot be asked. A small directory limit to test 429s.
    lonely = await startPocketBase({
      relayUrl: 'ws://127.0.0.1:9/signal',
      env: { BANDMESH_RATE_LIMIT_RULES: 'directory=4/60' },
    });
  });
  afterAll(async () => {
    await lonely?.stop();
  });

  it('says playing now is unknown (null), not 0, and rate-limits the route per address', async () => {
    const user = await signUp(lonely.url, 'Solo');
    await user.pb
      .collection('studios')
      .create({ name: 'Solo Room', slug: 'solo-room', owner: user.id, visibility: 'public' });
    const page = await fetchDirectory(user.pb, {});
    expect(page.items[0]).toMatchObject({ name: 'Solo Room', playingNow: null, memberCount: 1 });
    for (let i = 0; i < 3; i += 1) await fetchDirectory(user.pb, {});
    const limited = await rejection(fetchDirectory(user.pb, {}));
    expect(limited.status).toBe(429);
    expect(limited.message).toMatch(/Please wait up to a minute|Please wait up to 60 seconds/);
  });
});
