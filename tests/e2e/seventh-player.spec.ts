import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { heardSince, openStudio, peerIdOf, settledOn, studioWith } from './sfu-support';

/** Every page hears every other page's player after `since` (epoch ms). */
async function everyoneHearsEveryone(pages: Page[], since: number, timeout: number): Promise<void> {
  const ids = await Promise.all(pages.map(peerIdOf));
  for (const [i, page] of pages.entries()) {
    const others = ids.filter((_, j) => j !== i).sort();
    await expect.poll(async () => (await heardSince(page, since)).sort(), { timeout }).toEqual(others);
  }
}

// The "done when": a 7th player joins a studio of 6 (the default mesh limit) and everyone keeps
// hearing everyone — the relay moves the room to its SFU by itself, no control message involved.
test('a 7th player joins a band of 6: the room moves to the relay and everyone hears everyone', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(360_000);
  const names = ['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gus'];
  const { players, slug } = await studioWith(baseURL!, names, 'seven');
  const six: Page[] = [];
  for (const player of players.slice(0, 6)) six.push(await openStudio(browser, baseURL!, player, slug));
  await settledOn(six, 'mesh', 60_000);
  await everyoneHearsEveryone(six, 0, 90_000);

  const joinedAt = Date.now();
  const seventh = await openStudio(browser, baseURL!, players[6]!, slug);
  const seven = [...six, seventh];
  await settledOn(seven, 'sfu', 90_000);
  await everyoneHearsEveryone(seven, joinedAt, 90_000);
  // Seven pages at 2.5 ms frames overload two cores: a stream may stall for a moment (its label goes
  // while no frame arrives), so each page gets time to show all six.
  for (const page of seven) {
    await expect(page.getByTestId('audio-route')).toHaveText(
      Array.from({ length: 6 }, () => 'via relay'),
      { timeout: 60_000 },
    );
  }
});
