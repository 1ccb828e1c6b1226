/**
 * Backing tracks end to end on the real stack (PocketBase built from pocketbase/, the relay, the bench
 * build in Chromium with fake audio): a member uploads a short WAV made here, through the panel, with
 * its progress, and the others' lists follow; a member cannot start it; the owner starts it and every player's own worklet renders it
 * (the track strip's meter moves, and each page reports the frame it started on); stop works for all;
 * and a member's forged start, written straight into the studio doc, is refused and reverted. A take
 * recorded while the track plays gets the track's own stem, at full level though the player muted it.
 */
import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';
import { documentFrom, forgedUpdate, hostileInitScript, type HostileWindow } from './hostile-client';
import { toneWav } from '../../bench/lib/tone-wav.mjs';
import { decode as decodeWav } from 'node-wav';
import type { TakeManifest } from '../../src/lib/protocol/recording';
import {
  exportTake,
  listTakeIds,
  readManifest,
  startRecording,
  stopRecording,
  unzip,
} from './recording-support';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: {
    trackStarts: Array<{ trackId: string; fromMs: number; sharedMs: number }>;
    backingTrack: () => { transport: { playing: boolean; trackId: string; clock: string } };
  };
}

const TITLE = 'Shuffle in G';

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

async function band(baseURL: string, names: string[]) {
  const players = await Promise.all(names.map((name) => signUpUser(baseURL, { name, instrument: 'keys' })));
  const slug = `tracks-${Date.now().toString(36)}`;
  await createStudio(baseURL, players[0]!, { name: 'Tracks', slug });
  for (const player of players.slice(1)) await joinStudio(baseURL, player, slug);
  return { players, slug };
}

const trackMeter = (page: Page) => page.getByRole('meter', { name: 'Backing track level' });
const meterValue = async (page: Page) => Number((await trackMeter(page).getAttribute('aria-valuenow')) ?? 0);

test('a member uploads a track, the owner plays it for everyone, and stops it', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { players, slug } = await band(baseURL!, ['Ada', 'Bo', 'Cy']);
  const pages: Page[] = [];
  for (const player of players) pages.push(await openStudio(browser, baseURL!, player, slug));
  for (const page of pages) await startAudio(page);
  for (const page of pages) await expect(page.getByTestId('present-player')).toHaveCount(3);
  const [ada, bo, cy] = pages as [Page, Page, Page];

  // Bo uploads a WAV through the panel; everyone's list shows it once it is stored.
  await bo
    .getByTestId('backing-file')
    .setInputFiles({ name: 'shuffle.wav', mimeType: 'audio/wav', buffer: toneWav(20) });
  await bo.getByLabel('Title').fill(TITLE);
  await bo.getByTestId('backing-upload').click();
  await expect(bo.getByTestId('backing-list')).toContainText(TITLE);
  await expect(bo.getByTestId('backing-list')).toContainText('0:20 by Bo');
  // The others' lists follow without a reload (PocketBase's realtime, under the same view rule).
  await expect(ada.getByTestId('backing-list')).toContainText(TITLE);

  // A member may not start it (the metronome's default: engineers and the owner).
  const play = (page: Page) => page.getByRole('button', { name: `Play ${TITLE} for everyone` });
  await expect(play(bo)).toBeDisabled();
  await play(ada).click();
  for (const page of pages) {
    await expect(page.getByTestId('backing-status')).toContainText(`Playing: ${TITLE} · started by Ada`);
    // Each player's own worklet rendered the track's first frame, and its strip's meter moved.
    await expect
      .poll(() => page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.trackStarts.length), {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
  }
  await expect.poll(() => meterValue(bo), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect.poll(() => meterValue(cy), { timeout: 15_000 }).toBeGreaterThan(0);

  // Ada stops it for everyone; the track falls silent on Cy's side.
  await ada.getByTestId('backing-stop').click();
  for (const page of [bo, cy])
    await expect(page.getByTestId('backing-status')).toContainText('stopped by Ada');
  await expect.poll(() => meterValue(cy), { timeout: 15_000 }).toBe(0);
});

test('hostile: a member’s forged start of the backing track is refused and reverted', async ({
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
      const { relay, received, sent } = (window as unknown as HostileWindow).__hostile;
      return { relay, received, sent };
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
  const { received, sent, relay } = await hostile();
  const known = documentFrom([...received, ...sent]);
  const subscribed = relay.find((m) => m.type === 'subscribed') as unknown as {
    self: { client: number };
    peers: Array<{ userId: string; client: number }>;
  };
  const forged = forgedUpdate(known, subscribed.self.client, 'backingTrack', {
    transport: {
      playing: true,
      trackId: 'abcdefghijklmno',
      startAt: Date.now(),
      fromMs: 0,
      clock: mal.record.id,
    },
  });
  await malPage.evaluate((message) => {
    const { channels } = (window as unknown as HostileWindow).__hostile;
    for (const channel of channels) if (channel.readyState === 'open') channel.send(new Uint8Array(message));
  }, forged);

  // Ada's page ignores it and writes the permitted value (stopped) back under her own client id.
  const healed = async () => {
    const { received: r, sent: s } = await hostile();
    const map = documentFrom([...r, ...s]).getMap('backingTrack');
    return {
      playing: (map.get('transport') as { playing?: boolean } | undefined)?.playing,
      author: map._map.get('transport')?.id.client,
    };
  };
  await expect
    .poll(healed, { timeout: 15_000 })
    .toEqual({ playing: false, author: subscribed.peers.find((p) => p.userId === ada.record.id)!.client });
  const adaView = await adaPage.evaluate(() => (window as unknown as BenchWindow).__bandmesh.backingTrack());
  expect(adaView.transport.playing).toBe(false);
  await expect(adaPage.getByTestId('backing-status')).not.toContainText('Playing');
});

test('a take recorded while the track plays holds the track as its own stem, at unity, and exports it', async ({
  browser,
  baseURL,
}, testInfo) => {
  test.setTimeout(180_000);
  const { players, slug } = await band(baseURL!, ['Ada']);
  const ada = await openStudio(browser, baseURL!, players[0]!, slug);
  await startAudio(ada);
  await ada
    .getByTestId('backing-file')
    .setInputFiles({ name: 'shuffle.wav', mimeType: 'audio/wav', buffer: toneWav(20) });
  await ada.getByLabel('Title').fill(TITLE);
  await ada.getByTestId('backing-upload').click();
  await expect(ada.getByTestId('backing-list')).toContainText(TITLE);

  // The take starts before the track: its backing stem begins where the track does, not at sample 0.
  await startRecording(ada);
  await ada.waitForTimeout(1_000);
  await ada.getByRole('button', { name: `Play ${TITLE} for everyone` }).click();
  await expect
    .poll(() => ada.evaluate(() => (window as unknown as BenchWindow).__bandmesh.trackStarts.length), {
      timeout: 20_000,
    })
    .toBeGreaterThan(0);
  // Ada mutes the track in her own mix: the stem is the track itself, as the other stems are raw.
  await ada.getByTestId('backing-track-panel').getByRole('button', { name: 'Mute' }).click();
  await expect.poll(() => meterValue(ada), { timeout: 15_000 }).toBe(0);
  await ada.waitForTimeout(3_000);
  await stopRecording(ada);

  const [takeId] = await listTakeIds(ada);
  const manifest: TakeManifest = await readManifest(ada, takeId!);
  const backing = manifest.tracks.find((t) => t.kind === 'backing');
  expect(backing).toMatchObject({
    id: 'backing',
    name: `Backing track: ${TITLE}`,
    channels: 2,
    userId: null,
  });
  expect(backing!.startSample).toBeGreaterThan(0);
  expect(backing!.frames / 48_000).toBeGreaterThan(2.5);
  expect(manifest.tracks.map((t) => t.kind)).toEqual(['mix', 'self', 'backing']);

  const zip = await exportTake(
    ada,
    takeId!,
    { what: /mix and stems/i, format: /wav/i },
    testInfo.outputPath('take.zip'),
  );
  // The export panel says the track has a stem of its own, at full level.
  await expect(ada.getByTestId('take-export')).toContainText(
    `Backing track: ${TITLE}: a stem of its own, at full level`,
  );
  const files = await unzip(zip.bytes);
  const names = [...files.keys()];
  const stemName = names.find((n) => /^\d\d Backing track.*\.wav$/.test(n));
  expect(stemName, names.join(', ')).toBeDefined();
  expect(names.some((n) => n === 'mix.wav')).toBe(true);
  expect(names.filter((n) => /^\d\d .*\.wav$/.test(n))).toHaveLength(2); // Ada's own stem and the track's

  // Every exported stem starts at take sample 0: the tone lies from the stem's start sample on, at the
  // WAV's level (12 000 / 32 768 peak: RMS 0.259), though Ada's mix had it muted.
  const wav = decodeWav(files.get(stemName!)!);
  expect(wav.sampleRate).toBe(48_000);
  const left = wav.channelData[0]!;
  const before = left.subarray(0, Math.max(0, backing!.startSample - 48));
  expect(before.every((v) => v === 0)).toBe(true);
  const from = backing!.startSample + 4_800; // past the first block, into the track
  const second = left.subarray(from, from + 48_000);
  const rms = Math.sqrt(second.reduce((sum, v) => sum + v * v, 0) / second.length);
  expect(rms).toBeGreaterThan(0.24);
  expect(rms).toBeLessThan(0.28);
  // A 330 Hz tone: 660 zero crossings a second.
  let crossings = 0;
  for (let i = 1; i < second.length; i++) if (second[i - 1]! < 0 !== second[i]! < 0) crossings++;
  expect(Math.abs(crossings - 660)).toBeLessThan(10);
});
