/**
 * The recorder Worker over the browser's real Origin Private File System:
 * - a take written from synthetic tap blocks, the page closed without stopping (the Worker dies with it,
 *   holding its files and its Web Lock); a second tab saw it as held, and after the close lists it as
 *   unfinished and recovers it from its files;
 * - the browser's own quota (lowered over CDP) refusing a write mid-take: the take stops cleanly and
 *   every frame written stays.
 *
 * The Worker is the app's own: the bench build's `recorder.worker-*.js` (Vite emits it for the studio
 * page), started on an app page so it has the app's OPFS and locks; the test drives it with the
 * messages RecorderClient and the record tap send. Every sample is ((context frame) mod PERIOD) / PERIOD,
 * so each frame on disk says where it belongs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { readManifest, readTakeFileChunk } from '../../bench/lib/recording-opfs.mjs';
import {
  MIN_FREE_BYTES,
  type FromRecorder,
  type TakeManifest,
  type TakeSummary,
} from '../../src/lib/protocol/recording';
import { expect, newPlayerPage, test } from './fixtures';

const BLOCK = 2048;
const PERIOD = 4801;
const FIRST_FRAME = 96_000;
const MB = 1024 * 1024;

type Message = { type: string; [key: string]: unknown };

/** What openRecorder puts on the page as `window.__rec`. */
interface PageRecorder {
  worker: Worker;
  inbox: Message[];
  start(id: string, name: string): void;
  /** Writes blocks `from`… (`count` of them, at most 8 in flight); stops early once the take stopped. */
  write(from: number, count: number): Promise<number>;
}

/** The app's recorder Worker as the bench build emitted it (the studio page bundles it). */
function recorderWorkerUrl(): string {
  const dir = join('bench', 'build', '_app', 'immutable', 'workers');
  const built = existsSync(dir)
    ? readdirSync(dir).find((f) => /^recorder\.worker-.*\.js$/.test(f))
    : undefined;
  if (!built)
    throw new Error(`no recorder.worker-*.js in ${dir}: the studio page no longer bundles the recorder`);
  return `/_app/immutable/workers/${built}`;
}

/** Opens an app page and starts the recorder Worker in it, with a tap writer (`window.__rec`). */
async function openRecorder(page: Page, url: string): Promise<void> {
  await page.goto('/');
  await page.evaluate(
    ({ url, block, period, first }) => {
      const worker = new Worker(url, { type: 'module' });
      const inbox: Message[] = [];
      worker.onmessage = (event) => inbox.push(event.data);
      worker.onerror = (event) => inbox.push({ type: 'error', message: `worker: ${event.message}` });
      const tap = new MessageChannel();
      let returned = 0;
      let posted = 0;
      tap.port1.onmessage = (event) => {
        if (event.data.type === 'tap-return') returned++;
      };
      const stopped = () => inbox.some((m) => m.type === 'stopped' || m.type === 'error');
      const until = async (ok: () => boolean, what: string) => {
        for (let i = 0; i < 1000 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        if (!ok()) throw new Error(`timed out: ${what} (${JSON.stringify(inbox)})`);
      };
      const rec: PageRecorder = {
        worker,
        inbox,
        start(id, name) {
          worker.postMessage(
            {
              type: 'start',
              take: {
                id,
                name,
                studio: { id: 'studio', slug: 'band', name: 'Band' },
                recordedBy: { userId: 'player', name: 'Ana' },
              },
              tapPort: tap.port2,
              netPort: null,
              clock: { contextFrame: 0, epochMs: Date.now() },
            },
            [tap.port2],
          );
        },
        async write(from, count) {
          let sent = 0;
          for (let b = from; b < from + count; b++) {
            // As the tap's pool of 8 would: at most 8 blocks in flight.
            await until(() => posted - returned < 8 || stopped(), 'tap pool');
            if (stopped()) break;
            const contextFrame = first + b * block;
            const input = new Float32Array(block);
            const mix = new Float32Array(block * 2);
            const backing = new Float32Array(block * 2); // no backing track plays: no stem
            for (let k = 0; k < block; k++) {
              const v = ((contextFrame + k) % period) / period;
              input[k] = v;
              mix[2 * k] = v;
              mix[2 * k + 1] = -v;
            }
            tap.port1.postMessage(
              { type: 'tap-block', contextFrame, frames: block, inputChannels: 1, input, mix, backing },
              [input.buffer, mix.buffer, backing.buffer],
            );
            posted++;
            sent++;
          }
          await until(() => returned === posted || stopped(), 'blocks written');
          return sent;
        },
      };
      Object.assign(window, { __rec: rec });
    },
    { url, block: BLOCK, period: PERIOD, first: FIRST_FRAME },
  );
}

/** Sends a request and returns the first answer of one of `types` (or the error answering it). */
async function request<T extends FromRecorder['type']>(
  page: Page,
  message: object,
  types: T[],
): Promise<Extract<FromRecorder, { type: T | 'error' }>> {
  return page.evaluate(
    async ({ message, types }) => {
      const rec = (window as unknown as { __rec: PageRecorder }).__rec;
      const from = rec.inbox.length;
      rec.worker.postMessage(message);
      for (let i = 0; i < 1000; i++) {
        const answer = rec.inbox.slice(from).find((m) => types.includes(m.type) || m.type === 'error');
        if (answer) return answer;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no ${types.join('|')} from the recorder`);
    },
    { message, types: types as string[] },
  ) as Promise<Extract<FromRecorder, { type: T | 'error' }>>;
}

const inbox = (page: Page) => page.evaluate(() => (window as unknown as { __rec: PageRecorder }).__rec.inbox);

/** Every frame of every track holds the signal of its place; each file holds exactly its frames. */
async function expectSignal(page: Page, takeId: string, manifest: TakeManifest): Promise<void> {
  for (const track of manifest.tracks) {
    const length = track.frames * 4 * track.channels;
    const { bytes, size } = await readTakeFileChunk(page, takeId, track.file, 0, length);
    expect(size, track.id).toBe(length);
    const aligned = new Uint8Array(bytes.length);
    aligned.set(bytes);
    const samples = new Float32Array(aligned.buffer);
    let wrong = 0;
    for (let f = 0; f < track.frames; f++) {
      const expected = Math.fround(((FIRST_FRAME + track.startSample + f) % PERIOD) / PERIOD);
      if (samples[f * track.channels] !== expected) wrong++;
      if (track.channels === 2 && samples[f * 2 + 1] !== -expected) wrong++;
    }
    expect(wrong, track.id).toBe(0);
  }
}

test('a take written to OPFS survives closing the page without stop, and is recovered (≥ 99 % of its frames)', async ({
  browser,
  baseURL,
}) => {
  const id = 'e2e-crash-take';
  const url = recorderWorkerUrl();
  const page = await newPlayerPage(browser, baseURL!);
  await openRecorder(page, url);
  await page.evaluate(
    (id) => (window as unknown as { __rec: PageRecorder }).__rec.start(id, 'Crash test'),
    id,
  );
  const blocks = Math.ceil((4 * 48_000) / BLOCK);
  const sent = await page.evaluate(
    (blocks) => (window as unknown as { __rec: PageRecorder }).__rec.write(0, blocks),
    blocks,
  );
  expect(sent).toBe(blocks);
  const frames = blocks * BLOCK;
  const messages = await inbox(page);
  expect(messages.filter((m) => m.type === 'error' || m.type === 'stopped')).toEqual([]);
  expect(messages).toContainEqual(expect.objectContaining({ type: 'started', id }));
  // Observed, not asserted: Chromium lets a page read a file a Worker's sync handle holds open.
  const readWhileOpen = await page.evaluate(async (id) => {
    try {
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle('bandmesh-takes')).getDirectoryHandle(id);
      return `readable (${(await (await dir.getFileHandle('self.f32')).getFile()).size} bytes)`;
    } catch (error) {
      return (error as Error).name;
    }
  }, id);
  console.log(`a file the recorder holds open, read from the page: ${readWhileOpen}`);

  // A second tab sees the take while the first records it: held by its Web Lock, so not unfinished,
  // and it may neither recover nor delete it.
  const context = page.context();
  const again = await context.newPage();
  await openRecorder(again, url);
  const live = await request(again, { type: 'list' }, ['takes']);
  expect(live.type === 'takes' && live.takes.find((t) => t.id === id)).toMatchObject({
    state: 'recording',
    unfinished: false,
  });
  expect(await request(again, { type: 'recover', id }, ['recovered'])).toMatchObject({
    type: 'error',
    message: expect.stringMatching(/another tab/),
  });
  expect(await request(again, { type: 'delete', id }, ['done'])).toMatchObject({ type: 'error' });

  // The first tab goes away mid-take: no stop, no final flush, no final manifest.
  await page.close();
  // The dead page's Worker releases its lock as it is torn down.
  let summary: TakeSummary | undefined;
  await expect
    .poll(
      async () => {
        const answer = await request(again, { type: 'list' }, ['takes']);
        if (answer.type !== 'takes') return answer.message;
        summary = answer.takes.find((t) => t.id === id);
        return summary?.unfinished;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  expect(summary).toMatchObject({ state: 'recording', name: 'Crash test', players: ['Ana'] });

  const recovered = await request(again, { type: 'recover', id }, ['recovered']);
  if (recovered.type === 'error') throw new Error(`recover failed: ${recovered.message}`);
  const manifest: TakeManifest = recovered.manifest!;
  expect(manifest).toMatchObject({
    state: 'recovered',
    stopReason: 'crashed',
    startContextFrame: FIRST_FRAME,
  });
  expect(await readManifest(again, id)).toMatchObject({ state: 'recovered' });
  console.log(
    `written ${frames} frames; recovered ${manifest.durationFrames} (${((100 * manifest.durationFrames) / frames).toFixed(2)} %)`,
  );
  expect(manifest.durationFrames).toBeGreaterThanOrEqual(Math.ceil(0.99 * frames));
  expect(manifest.tracks.map((t) => t.id).sort()).toEqual(['mix', 'self']);
  await expectSignal(again, id, manifest);

  // Finished now: it can be deleted.
  expect(await request(again, { type: 'delete', id }, ['done'])).toEqual({ type: 'done', request: 'delete' });
});

test("the browser's quota refusing a write mid-take stops it cleanly, every frame written kept", async ({
  browser,
  baseURL,
}) => {
  const id = 'e2e-quota-take';
  const page = await newPlayerPage(browser, baseURL!);
  await openRecorder(page, recorderWorkerUrl());
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(baseURL!).origin;
  const usage = () => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

  // Enough to start (MIN_FREE_BYTES free), then, once the take runs, 1 MB left: about 2 s of this take.
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin,
    quotaSize: (await usage()) + MIN_FREE_BYTES + 4 * MB,
  });
  await page.evaluate(
    (id) => (window as unknown as { __rec: PageRecorder }).__rec.start(id, 'Quota test'),
    id,
  );
  await page.evaluate(() => (window as unknown as { __rec: PageRecorder }).__rec.write(0, 1));
  await expect.poll(async () => (await inbox(page)).some((m) => m.type === 'started')).toBe(true);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: (await usage()) + 1 * MB });

  const blocks = Math.ceil((10 * 48_000) / BLOCK);
  const sent = await page.evaluate(
    (blocks) => (window as unknown as { __rec: PageRecorder }).__rec.write(1, blocks),
    blocks,
  );
  const stopped = (await inbox(page)).find((m) => m.type === 'stopped') as
    Extract<FromRecorder, { type: 'stopped' }> | undefined;
  console.log(`stopped after ${1 + sent} blocks: ${stopped?.message}`);
  expect(stopped).toMatchObject({ id, reason: 'storage-full' });
  expect(sent).toBeLessThan(blocks);

  // The manifest on disk says why, and names exactly what the files hold — all of it the signal.
  const manifest = stopped!.manifest!;
  expect(await readManifest(page, id)).toMatchObject({
    state: 'complete',
    stopReason: 'storage-full',
    durationFrames: manifest.durationFrames,
  });
  expect(manifest.durationFrames).toBeGreaterThan(BLOCK);
  await expectSignal(page, id, manifest);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
});
