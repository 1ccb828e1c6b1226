import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';
import { documentFrom, forgedUpdate, hostileInitScript, type HostileWindow } from './hostile-client';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: { clicks: Array<{ beat: number; sharedMs: number; clock: string }> };
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

/** Beats (bar one on) whose click this page's worklet rendered. */
const clickedBeats = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as BenchWindow).__bandmesh.clicks.flatMap((c) => (c.beat >= 0 ? [c.beat] : [])),
  );

async function band(baseURL: string, names: string[]) {
  const players = await Promise.all(names.map((name) => signUpUser(baseURL, { name, instrument: 'keys' })));
  const slug = `click-${Date.now().toString(36)}`;
  await createStudio(baseURL, players[0]!, { name: 'Click', slug });
  for (const player of players.slice(1)) await joinStudio(baseURL, player, slug);
  return { players, slug };
}

test('the owner starts the metronome and it clicks for all three players', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { players, slug } = await band(baseURL!, ['Ada', 'Bo', 'Cy']);
  const pages = [];
  for (const player of players) pages.push(await openStudio(browser, baseURL!, player, slug));
  for (const page of pages) await startAudio(page);
  for (const page of pages) await expect(page.getByTestId('present-player')).toHaveCount(3);
  const [ada, bo, cy] = pages as [Page, Page, Page];

  // A member may not start it (the default studio setting: engineers and the owner).
  await expect(bo.getByRole('button', { name: 'Start with count-in' })).toBeDisabled();
  await ada.getByLabel('Tempo (BPM)').fill('150');
  await ada.getByLabel('Tempo (BPM)').press('Enter');
  await ada.getByRole('button', { name: 'Start with count-in' }).click();
  for (const page of pages) {
    await expect(page.getByTestId('metronome-status')).toContainText('Playing · 150 BPM · 4/4');
    await expect(page.getByTestId('beat-position')).toContainText('Bar', { timeout: 15_000 });
    // Every player's own worklet rendered clicks of bar one on, on the same timeline.
    await expect
      .poll(() => clickedBeats(page), { timeout: 15_000 })
      .toEqual(expect.arrayContaining([0, 1, 2]));
  }

  await ada.getByRole('button', { name: 'Stop click' }).click();
  for (const page of [bo, cy]) await expect(page.getByTestId('metronome-status')).toContainText('Stopped');
});

test('hostile: a member’s forged tempo change is refused and reverted, and the room keeps working', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { players, slug } = await band(baseURL!, ['Ada', 'Mal']);
  const [ada, mal] = players as [Player, Player];
  const adaPage = await openStudio(browser, baseURL!, ada, slug);
  const malPage = await openStudio(browser, baseURL!, mal, slug, [hostileInitScript]);
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
    .toBe(1);
  await expect
    .poll(async () =>
      documentFrom((await hostile()).received)
        .getMap('channels')
        .get(`${ada.record.id}:name`),
    )
    .toBe('Ada');
  // The document as Mal's own client has it: what it received plus its own writes.
  const known = documentFrom([
    ...(await hostile()).received,
    ...(await malPage.evaluate(() => (window as unknown as HostileWindow).__hostile.sent)),
  ]);
  const subscribed = (await hostile()).relay.find((m) => m.type === 'subscribed') as unknown as {
    self: { client: number };
    peers: Array<{ userId: string; client: number }>;
  };
  // Mal writes, under his own Yjs client id (what a modified client sends), a running 200 BPM timeline.
  const forged = forgedUpdate(known, subscribed.self.client, 'metronome', {
    transport: {
      running: true,
      bpm: 200,
      beatsPerBar: 4,
      beatOrigin: -4,
      timeOrigin: Date.now(),
      clock: mal.record.id,
    },
  });
  await malPage.evaluate((message) => {
    const { channels } = (window as unknown as HostileWindow).__hostile;
    for (const channel of channels) if (channel.readyState === 'open') channel.send(new Uint8Array(message));
  }, forged);

  // Ada's page refuses it and writes the permitted value back (stopped, 120 BPM) under her own client
  // id; Mal's link carries that to him (read with his forgery, which it follows).
  const healed = async () => {
    const doc = documentFrom([
      ...(await hostile()).received,
      ...(await malPage.evaluate(() => (window as unknown as HostileWindow).__hostile.sent)),
    ]);
    const map = doc.getMap('metronome');
    const item = map._map.get('transport');
    return { bpm: (map.get('transport') as { bpm?: number } | undefined)?.bpm, author: item?.id.client };
  };
  await expect
    .poll(healed, { timeout: 15_000 })
    .toEqual({ bpm: 120, author: subscribed.peers.find((p) => p.userId === ada.record.id)!.client });
  await expect(adaPage.getByTestId('metronome-status')).toContainText('Stopped · 120 BPM');
  await expect(adaPage.getByTestId('beat-indicator')).toBeVisible();
  // The owner still controls it.
  await adaPage.getByRole('button', { name: 'Start with count-in' }).click();
  await expect(adaPage.getByTestId('metronome-status')).toContainText('Playing · 120 BPM');
  await expect(adaPage.getByTestId('beat-position')).toContainText('Bar', { timeout: 15_000 });
});
