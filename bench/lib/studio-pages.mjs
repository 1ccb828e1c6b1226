/**
 * A benchmark band: `players` new accounts in one new studio, each on its own browser context with the
 * studio page open in bench mode (`window.__bandmesh`). The caller owns the result: close() it.
 */
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';

/**
 * @param {import('@playwright/test').Browser} browser
 * @param {{ url: string, players: number, name: string, query?: string }} options query: after `bench=1`
 */
export async function openBand(browser, { url, players: count, name, query = '' }) {
  const players = [];
  for (let i = 0; i < count; i++) players.push(await signUpUser(url, { name: `${name}${i}` }));
  const slug = `${name.toLowerCase()}-${Date.now().toString(36)}`;
  const studio = await createStudio(url, players[0], { name, slug });
  for (const player of players.slice(1)) await joinStudio(url, player, slug);
  const contexts = [];
  const pages = [];
  const close = async () => {
    // Closing a context twice is fine; one that fails to close must not keep the others open.
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
  };
  try {
    for (const player of players) {
      const context = await browser.newContext({ baseURL: url });
      contexts.push(context);
      await context.addInitScript(authInitScript(player));
      const page = await context.newPage();
      await page.goto(`/s/${slug}?bench=1${query}`);
      await page.waitForFunction(() => window.__bandmesh !== undefined);
      pages.push(page);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { pages, close, studioId: studio.id };
}
