import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';
import { resourceProbe, type LiveResources } from './resource-probe';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: {
    peerId: string;
    impulses: Array<{ peerId?: string; epochMs: number }>;
    diagnostics(): Array<{ peerId: string; userId: string | null; framesReceived: number }>;
  };
  __live(): LiveResources;
}

async function openStudio(browser: Browser, baseURL: string, player: Player, slug: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  await context.addInitScript(resourceProbe);
  const page = await context.newPage();
  await enter(page, slug);
  return page;
}

async function enter(page: Page, slug: string): Promise<void> {
  await page.goto(`/s/${slug}?bench=1`);
  await page.getByRole('button', { name: 'Start audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('On');
}

const peerIdOf = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);

/** Peer ids this page has detected sound from (impulse onsets in each peer's decoded stream). */
const heardFrom = (page: Page) =>
  page.evaluate(() => [
    ...new Set(
      (window as unknown as BenchWindow).__bandmesh.impulses.flatMap((i) => (i.peerId ? [i.peerId] : [])),
    ),
  ]);

const live = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__live());

test('three players hear each other, share mixes, and leave without a trace', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const [ada, bo, cy] = await Promise.all(
    [
      ['Ada', 'bass'],
      ['Bo', 'drums'],
      ['Cy', 'keys'],
    ].map(([name, instrument]) => signUpUser(baseURL!, { name: name!, instrument: instrument! })),
  );
  const slug = `trio-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada!, { name: 'Trio', slug });
  await joinStudio(baseURL!, bo!, slug);
  await joinStudio(baseURL!, cy!, slug);

  const pages = [];
  for (const player of [ada!, bo!, cy!]) pages.push(await openStudio(browser, baseURL!, player, slug));
  const [adaPage, boPage, cyPage] = pages as [Page, Page, Page];

  // Every receiver detects sound from every sender (the fake microphone beeps).
  const ids = await Promise.all(pages.map(peerIdOf));
  for (const [i, page] of pages.entries()) {
    const others = ids.filter((_, j) => j !== i).sort();
    await expect.poll(async () => (await heardFrom(page)).sort(), { timeout: 20_000 }).toEqual(others);
  }
  await expect(adaPage.getByTestId('audio-path').first()).toHaveText(/over data channel/);
  await expect(adaPage.getByTestId('latency-badge').first()).toHaveText(/\d+ ms/);

  // The owner mutes Bo in Cy's monitor mix: Cy's mixer shows it within a second.
  await adaPage.getByLabel('Mix for').selectOption({ label: 'Cy' });
  await adaPage
    .getByRole('region', { name: 'Bo channel', exact: true })
    .getByRole('button', { name: /mute/i })
    .click();
  const cyBoMute = cyPage
    .getByRole('region', { name: 'Bo channel', exact: true })
    .getByRole('button', { name: /mute/i });
  await expect(cyBoMute).toHaveAttribute('aria-pressed', 'true', { timeout: 1_000 });
  // The owner's view of Cy's mix lists everyone Cy hears, the owner included.
  await expect(adaPage.getByTestId('channel-strip')).toHaveCount(2);
  await expect(adaPage.getByRole('region', { name: 'Ada channel', exact: true })).toHaveCount(1);
  // Cy cannot do the same to Ada's mix: there is no one else's mix to pick.
  await expect(cyPage.getByLabel('Mix for')).toHaveCount(0);

  // Bo leaves: the others free his audio slot, and his page keeps no connection, worker or context.
  await boPage.getByRole('button', { name: 'Leave' }).click();
  await expect(boPage).toHaveURL(/\/$/);
  await expect.poll(() => live(boPage)).toEqual({ pcs: 0, workers: 0, contexts: 0 });
  for (const page of [adaPage, cyPage]) {
    await expect
      .poll(() => page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.diagnostics().length))
      .toBe(1);
  }

  // Join and leave twice more: nothing accumulates on either side; then Bo stays and is heard again.
  for (let round = 0; round < 2; round++) {
    await enter(boPage, slug);
    await expect(adaPage.getByTestId('present-player')).toHaveCount(3);
    await boPage.getByRole('button', { name: 'Leave' }).click();
    await expect.poll(() => live(boPage)).toEqual({ pcs: 0, workers: 0, contexts: 0 });
    await expect(adaPage.getByTestId('present-player')).toHaveCount(2);
  }
  // Workers: the audio Worker and the recorder Worker (it keeps the page's take list and recovery offer).
  await expect.poll(() => live(adaPage)).toEqual({ pcs: 1, workers: 2, contexts: 1 });

  await enter(boPage, slug);
  const boAgain = await peerIdOf(boPage);
  await expect.poll(async () => (await heardFrom(adaPage)).includes(boAgain), { timeout: 30_000 }).toBe(true);
  await expect
    .poll(async () => (await heardFrom(boPage)).sort(), { timeout: 20_000 })
    .toEqual([ids[0]!, ids[2]!].sort());
});

test('a denied or missing microphone is explained, and the studio keeps working', async ({
  browser,
  baseURL,
}) => {
  const [ada, bo] = await Promise.all([
    signUpUser(baseURL!, { name: 'Ada', instrument: 'bass' }),
    signUpUser(baseURL!, { name: 'Bo', instrument: 'drums' }),
  ]);
  const slug = `nomic-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada, { name: 'No mic', slug });
  await joinStudio(baseURL!, bo, slug);

  for (const [errorName, message] of [
    ['NotAllowedError', /Microphone access was denied/],
    ['NotFoundError', /No microphone was found/],
  ] as const) {
    const context = await browser.newContext({ baseURL });
    await context.addInitScript(authInitScript(ada));
    // The browser's own permission prompt cannot be answered "no" in this headless setup: make
    // getUserMedia fail the way a browser does when the player says no or has no microphone.
    await context.addInitScript(
      `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused', '${errorName}'));`,
    );
    const page = await context.newPage();
    await page.goto(`/s/${slug}`);
    await page.getByRole('button', { name: 'Start audio' }).click();
    await expect(page.getByRole('alert')).toHaveText(message);
    await expect(page.getByRole('button', { name: 'Try again' })).toBeEnabled();
    await expect(page.getByTestId('connection-status')).toHaveText(/Connected/);
    await context.close();
  }

  // Someone with a microphone still gets in and starts audio in the same studio.
  const boPage = await openStudio(browser, baseURL!, bo, slug);
  await expect(boPage.getByTestId('audio-status')).toContainText('On');
});
