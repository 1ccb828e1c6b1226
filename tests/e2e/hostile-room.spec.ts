import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';
import {
  documentFrom,
  forgedPresence,
  forgedUpdate,
  hostileInitScript,
  hugeMessageHeaders,
  type HostileWindow,
} from './hostile-client';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: { peerId: string | null; impulses: Array<{ peerId?: string; epochMs: number }> };
}
interface Attested {
  peerId: string;
  userId: string;
  client: number;
}

async function openStudio(
  browser: Browser,
  baseURL: string,
  player: Player,
  slug: string,
  scripts: string[] = [],
) {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  for (const script of scripts) await context.addInitScript(script);
  const page = await context.newPage();
  await page.goto(`/s/${slug}?bench=1`);
  return page;
}

async function startAudio(page: Page) {
  await page.getByRole('button', { name: 'Start audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('On');
}

const peerIdOf = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);

/** Peer ids this page detected sound from since `since` (impulse onsets in each decoded stream). */
const heardSince = (page: Page, since: number) =>
  page.evaluate(
    (t) => [
      ...new Set(
        (window as unknown as BenchWindow).__bandmesh.impulses.flatMap((i) =>
          i.peerId && i.epochMs > t ? [i.peerId] : [],
        ),
      ),
    ],
    since,
  );

// A strip by its accessible name ("Bo channel"): inside a player's card it shows no name of its own.
const strip = (page: Page, name: string) =>
  page.getByRole('region', { name: `${name} channel`, exact: true });

test('a hostile member cannot speak for others, rename or remix them, or break the room', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const [ada, bo, mal] = await Promise.all(
    [
      ['Ada', 'bass'],
      ['Bo', 'drums'],
      ['Mal', 'kazoo'],
    ].map(([name, instrument]) => signUpUser(baseURL!, { name: name!, instrument: instrument! })),
  );
  const slug = `hostile-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada!, { name: 'Hostile', slug });
  await joinStudio(baseURL!, bo!, slug);
  await joinStudio(baseURL!, mal!, slug);

  const adaPage = await openStudio(browser, baseURL!, ada!, slug);
  const boPage = await openStudio(browser, baseURL!, bo!, slug);
  await startAudio(adaPage);
  await startAudio(boPage);
  const [adaId, boId] = [await peerIdOf(adaPage), await peerIdOf(boPage)];
  await expect.poll(() => heardSince(boPage, 0), { timeout: 20_000 }).toContain(adaId!);
  await expect.poll(() => heardSince(adaPage, 0), { timeout: 20_000 }).toContain(boId!);

  // Mal joins with a page whose relay socket and data channels the test drives.
  const malPage = await openStudio(browser, baseURL!, mal!, slug, [hostileInitScript]);
  const hostile = () =>
    malPage.evaluate(() => {
      const { relay, received } = (window as unknown as HostileWindow).__hostile;
      return { relay, received };
    });
  await expect
    .poll(
      () =>
        malPage.evaluate(
          () =>
            (window as unknown as HostileWindow).__hostile.channels.filter((c) => c.readyState === 'open')
              .length,
        ),
      { timeout: 20_000 },
    )
    .toBe(2);
  const relay = (await hostile()).relay;
  const subscribed = relay.find((m) => m.type === 'subscribed') as unknown as {
    topic: string;
    self: Attested;
    peers: Attested[];
  };
  const adaAttested = subscribed.peers.find((p) => p.userId === ada!.record.id)!;
  const adaUser = ada!.record.id;
  const boUser = bo!.record.id;
  await expect
    .poll(async () =>
      documentFrom((await hostile()).received)
        .getMap('channels')
        .get(`${adaUser}:name`),
    )
    .toBe('Ada');
  const known = documentFrom((await hostile()).received);

  const attacks: number[][] = [
    // Writes under the owner's Yjs client id: Bo's mix mutes Ada, Ada's channel is renamed.
    forgedUpdate(known, adaAttested.client, 'mixes', { [`${boUser}:mute/${adaUser}`]: true }),
    forgedUpdate(known, adaAttested.client, 'channels', { [`${adaUser}:name`]: 'Mallory' }),
    // Writes under Mal's own client id that a member may not make.
    forgedUpdate(known, subscribed.self.client, 'mixes', { [`${boUser}:solo/${adaUser}`]: true }),
    forgedUpdate(known, subscribed.self.client, 'channels', { [`${boUser}:name`]: 'Bozo' }),
    // Presence for Ada (her audio "off") and for Mal claiming to be an owner named Ada.
    forgedPresence(adaAttested.client, { audioPaths: [], audioOn: false }),
    forgedPresence(subscribed.self.client, {
      audioPaths: ['data'],
      audioOn: true,
      role: 'owner',
      name: 'Ada',
    }),
  ];
  const huge = hugeMessageHeaders(10 * 1024 * 1024); // a 10 MB message in pieces
  const attackedAt = Date.now();
  await malPage.evaluate(
    ({ messages, huge }) => {
      const { channels } = (window as unknown as HostileWindow).__hostile;
      const pieces = huge.headers.map((header) => {
        const bytes = new Uint8Array(header.length + huge.payload);
        bytes.set(header);
        return bytes;
      });
      // Queued at once (a channel buffers up to 16 MB); it drains while the test goes on.
      for (const message of [...messages.map((m) => new Uint8Array(m)), ...pieces]) {
        for (const channel of channels) if (channel.readyState === 'open') channel.send(message);
      }
    },
    { messages: attacks, huge },
  );
  // Signaling forgeries through Mal's own relay socket: a v1 leave and announces in Ada's name and for
  // fake peers, and an answer to an offer Bo never sent Mal.
  await malPage.evaluate(
    ({ topic, adaPeer, boPeer }) => {
      const socket = (window as unknown as HostileWindow).__hostile.sockets.at(-1)!;
      const publish = (data: unknown, to?: string) =>
        socket.send(JSON.stringify({ type: 'publish', topic, data, ...(to ? { to } : {}) }));
      publish({ type: 'leave', v: 1, from: adaPeer });
      for (let i = 0; i < 8; i++) publish({ type: 'announce', v: 1, from: `peer-fake-${i}000000` });
      publish(
        {
          type: 'signal',
          v: 2,
          from: adaPeer,
          signal: { kind: 'description', description: { type: 'answer', sdp: 'v=0' } },
        },
        boPeer,
      );
    },
    { topic: subscribed.topic, adaPeer: adaId!, boPeer: boId! },
  );

  // Bo's page says a player's data was refused — and names Mal, not someone else.
  await expect(boPage.getByTestId('sync-notice')).toContainText('Mal');
  // Nothing false on screen: names and roles are the attested ones, Ada is still there with her audio.
  for (const page of [adaPage, boPage]) {
    const players = page.getByTestId('present-player');
    await expect(players).toHaveCount(3);
    await expect(players.filter({ hasText: 'Mal' })).toContainText('member');
    await expect(players.filter({ hasText: 'Ada' })).toContainText('owner');
  }
  await expect(strip(boPage, 'Ada')).toHaveCount(1);
  await expect(strip(boPage, 'Mallory')).toHaveCount(0);
  await expect(strip(adaPage, 'Bozo')).toHaveCount(0);
  await expect(strip(boPage, 'Ada').getByRole('button', { name: 'Mute Ada' })).toHaveAttribute(
    'aria-pressed',
    'false',
  );
  await expect(strip(boPage, 'Ada').getByRole('button', { name: 'Solo Ada' })).toHaveAttribute(
    'aria-pressed',
    'false',
  );
  await expect(boPage.getByTestId('present-player').filter({ hasText: 'Ada' })).not.toContainText(
    'audio off',
  );
  // The owner sees Bo's mix as it really is.
  await adaPage.getByLabel('Mix for').selectOption({ label: 'Bo' });
  await expect(strip(adaPage, 'Ada').getByRole('button', { name: 'Mute Ada' })).toHaveAttribute(
    'aria-pressed',
    'false',
  );
  // And the band still hears each other after the attacks.
  await expect.poll(() => heardSince(boPage, attackedAt), { timeout: 20_000 }).toContain(adaId!);
  await expect.poll(() => heardSince(adaPage, attackedAt), { timeout: 20_000 }).toContain(boId!);
});
