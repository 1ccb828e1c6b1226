#!/usr/bin/env node
/**
 * Remakes the studio screenshots in docs/screenshots/ against the real stack (PocketBase, relay,
 * headless Chromium with its fake microphone): real players join a studio and start their audio,
 * the owner starts the metronome, one of them writes in the chat. Run after `npm run build`.
 *
 *   npm run screenshots                       studio-{1280,390}-{dark,light}.png with 3 players
 *   npm run screenshots -- --players 6 --out /tmp/band   the same with 6 (audio on for the first 3)
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { chromiumArgs, chromiumPath } from './lib/chromium.mjs';
import { authInitScript, createStudio, joinStudio, signUpUser } from './lib/pb-rest.mjs';
import { startStack } from './lib/stack.mjs';

const NAMES = [
  ['Ada', 'bass'],
  ['Bo', 'drums'],
  ['Cy', 'keys'],
  ['Dee', 'guitar'],
  ['Eli', 'vocals'],
  ['Fay', 'saxophone'],
  ['Gus', 'trumpet'],
  ['Hal', 'violin'],
];
/** The password scripts/lib/pb-rest.mjs signs players up with. */
const PASSWORD = 'correct horse battery';
/** More than a few players with audio on would starve a small machine; the rest join listening. */
const WITH_AUDIO = 3;

const { values } = parseArgs({
  options: {
    players: { type: 'string', default: '3' },
    out: { type: 'string', default: 'docs/screenshots' },
  },
});
const count = Number(values.players);
if (!Number.isInteger(count) || count < 1 || count > NAMES.length) {
  throw new Error(`--players takes 1 to ${NAMES.length}, not ${values.players}`);
}
const out = resolve(values.out);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The page must never scroll sideways: a picture of a page that does would hide it. */
async function noSideways(page) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  if (scroll > client) throw new Error(`The studio scrolls sideways: ${scroll} px wide in ${client} px`);
}

/**
 * Verifies a player's address as a person would (the link in the mail the stack's catcher got), then
 * logs in again so the browser holds the verified record: no "check your inbox" banner in the pictures.
 * (Once per run: PocketBase rate-limits verification requests.)
 */
async function verified(url, mailApiUrl, player) {
  await fetch(`${url}/api/collections/users/request-verification`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: player.email }),
  });
  const prefix = `${url}/auth/verify?token=`;
  const deadline = Date.now() + 15_000;
  let link;
  while (!link) {
    if (Date.now() > deadline) throw new Error(`no verification mail to ${player.email}`);
    const list = await (await fetch(`${mailApiUrl}?to=${encodeURIComponent(player.email)}`)).json();
    for (const { id } of list) {
      const mail = await (await fetch(`${mailApiUrl}/${id}`)).json();
      link ??= mail.links.find((l) => l.startsWith(prefix));
    }
    if (!link) await new Promise((r) => setTimeout(r, 200));
  }
  const post = (path, body) =>
    fetch(`${url}/api/collections/users/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const confirmed = await post('confirm-verification', { token: new URL(link).searchParams.get('token') });
  if (!confirmed.ok) throw new Error(`verification refused: ${confirmed.status}`);
  const auth = await post('auth-with-password', { identity: player.email, password: PASSWORD });
  if (!auth.ok) throw new Error(`log in refused: ${auth.status}`);
  const { token, record } = await auth.json();
  return { ...player, token, record };
}

const dataDir = await mkdtemp(join(tmpdir(), 'bandmesh-shots-'));
const stack = await startStack({
  quiet: true,
  httpPort: await freePort(),
  relayPort: await freePort(),
  dataDir,
  turn: false,
});
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
try {
  const players = [];
  for (const [name, instrument] of NAMES.slice(0, count)) {
    players.push(await signUpUser(stack.url, { name, instrument }));
  }
  // The pictures are Ada's page: she verifies (owners must, to create a studio), the others need not.
  players[0] = await verified(stack.url, stack.mailApiUrl, players[0]);
  const slug = `friday-jam-${Date.now().toString(36)}`;
  await createStudio(stack.url, players[0], { name: 'Friday jam', slug });
  for (const player of players.slice(1)) await joinStudio(stack.url, player, slug);

  const pages = [];
  for (const [i, player] of players.entries()) {
    const context = await browser.newContext({ baseURL: stack.url, viewport: { width: 1280, height: 900 } });
    await context.addInitScript(authInitScript(player));
    const page = await context.newPage();
    await page.goto(`/s/${slug}`);
    await page.getByTestId('present-player').first().waitFor();
    if (i < WITH_AUDIO) {
      await page.getByRole('button', { name: 'Start audio' }).click();
      await page.getByTestId('audio-status').waitFor();
    }
    pages.push(page);
  }
  const [ada, bo] = pages;
  // Everyone in Ada's band, and a measured delay for each player with audio on.
  await ada.waitForFunction(
    ({ players, heard }) =>
      document.querySelectorAll('[data-testid="present-player"]').length === players &&
      document.querySelectorAll('[data-testid="latency-badge"]:not([data-level="unknown"])').length >= heard,
    { players: count, heard: Math.min(count, WITH_AUDIO) - 1 },
    { timeout: 60_000 },
  );
  // The fake microphone beeps at full scale: Ada takes her gain down, as the clipping warning asks.
  await ada.getByLabel('Input gain').fill('-6');
  await ada.waitForFunction(
    () => document.querySelector('[data-testid="clipping"]')?.textContent?.trim() === '',
  );
  await ada.getByRole('button', { name: 'Start with count-in' }).click();
  if (bo) {
    await bo.getByLabel('Message', { exact: true }).fill('Ready when you are: blues in A?');
    await bo.getByLabel('Message', { exact: true }).press('Enter');
    await ada.getByTestId('chat-message').first().waitFor();
  }

  await mkdir(out, { recursive: true });
  for (const theme of ['dark', 'light']) {
    await ada.emulateMedia({ colorScheme: theme });
    await ada.setViewportSize({ width: 1280, height: 900 });
    await noSideways(ada);
    await ada.screenshot({ path: join(out, `studio-1280-${theme}.png`) });
    await ada.setViewportSize({ width: 390, height: 844 });
    await noSideways(ada);
    await ada.screenshot({ path: join(out, `studio-390-${theme}.png`), fullPage: true });
  }
  console.log(`Screenshots of ${count} players written to ${out}`);
} finally {
  await browser.close();
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
