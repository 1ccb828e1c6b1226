/**
 * The recorder Worker over the browser's real Origin Private File System: a take written from synthetic
 * tap blocks, the page closed without stopping (the Worker dies with it, holding its files and its Web
 * Lock), a new page lists the take as unfinished and recovers it from its files.
 *
 * The Worker is the app's own: the bench build's `recorder.worker-*.js` (Vite emits it for the studio
 * page), started on an app page so it has the app's OPFS and locks; the test drives it with the
 * messages RecorderClient and the record tap send.
 */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { readManifest, readTakeFileChunk } from '../../bench/lib/recording-opfs.mjs';
import type { FromRecorder, TakeManifest, TakeSummary } from '../../src/lib/protocol/recording';
import { expect, newPlayerPage, test } from './fixtures';

const TAKE_ID = 'e2e-crash-take';
const SECONDS = 4;
const BLOCK = 2048;
/** The test signal: sample = ((context frame) mod PERIOD) / PERIOD, so every frame says where it belongs. */
const PERIOD = 4801;
const FIRST_FRAME = 96_000;

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

/** Opens an app page and starts the recorder Worker in it (`window.__rec`: the Worker and its inbox). */
async function openRecorder(page: Page, url: string): Promise<void> {
  await page.goto('/');
  await page.evaluate((url) => {
    const worker = new Worker(url, { type: 'module' });
    const inbox: unknown[] = [];
    worker.onmessage = (event) => inbox.push(event.data);
    worker.onerror = (event) => inbox.push({ type: 'error', message: `worker: ${event.message}` });
    Object.assign(window, { __rec: { worker, inbox } });
  }, url);
}

/** Sends a request and returns the first answer of one of `types` (or the error answering it). */
async function request<T extends FromRecorder['type']>(
  page: Page,
  message: object,
  types: T[],
): Promise<Extract<FromRecorder, { type: T | 'error' }>> {
  return page.evaluate(
    async ({ message, types }) => {
      const rec = (window as unknown as { __rec: { worker: Worker; inbox: Array<{ type: string }> } }).__rec;
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

test('a take written to OPFS survives closing the page without stop, and is recovered (≥ 99 % of its frames)', async ({
  browser,
  baseURL,
}) => {
  const source = recorderWorkerUrl();
  const page = await newPlayerPage(browser, baseURL!);
  await openRecorder(page, source);

  const written = await page.evaluate(
    async ({ id, seconds, block, period, first }) => {
      const rec = (window as unknown as { __rec: { worker: Worker; inbox: Array<{ type: string }> } }).__rec;
      const until = async (ok: () => boolean, what: string) => {
        for (let i = 0; i < 1000 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        if (!ok()) throw new Error(`timed out: ${what} (${JSON.stringify(rec.inbox)})`);
      };
      const tap = new MessageChannel();
      let returned = 0;
      tap.port1.onmessage = (event) => {
        if (event.data.type === 'tap-return') returned++;
      };
      rec.worker.postMessage(
        {
          type: 'start',
          take: {
            id,
            name: 'Crash test',
            studio: { id: 'studio', slug: 'band', name: 'Band' },
            recordedBy: { userId: 'player', name: 'Ana' },
          },
          tapPort: tap.port2,
          netPort: null,
          clock: { contextFrame: 0, epochMs: Date.now() },
        },
        [tap.port2],
      );
      const blocks = Math.ceil((seconds * 48_000) / block);
      for (let b = 0; b < blocks; b++) {
        const contextFrame = first + b * block;
        const input = new Float32Array(block);
        const mix = new Float32Array(block * 2);
        for (let k = 0; k < block; k++) {
          const v = ((contextFrame + k) % period) / period;
          input[k] = v;
          mix[2 * k] = v;
          mix[2 * k + 1] = -v;
        }
        tap.port1.postMessage(
          { type: 'tap-block', contextFrame, frames: block, inputChannels: 1, input, mix },
          [input.buffer, mix.buffer],
        );
        // As the tap's pool of 8 would: at most 8 blocks in flight.
        if (b >= 7) await until(() => returned >= b - 7, 'tap-return');
      }
      await until(() => returned === blocks, 'every block written');
      // Observed, not asserted: whether a file the recorder holds open can be read meanwhile.
      let readWhileOpen: string;
      try {
        const root = await navigator.storage.getDirectory();
        const dir = await (await root.getDirectoryHandle('bandmesh-takes')).getDirectoryHandle(id);
        readWhileOpen = `readable (${(await (await dir.getFileHandle('self.f32')).getFile()).size} bytes)`;
      } catch (error) {
        readWhileOpen = (error as Error).name;
      }
      return {
        frames: blocks * block,
        inbox: rec.inbox as Array<{ type: string; [key: string]: unknown }>,
        readWhileOpen,
        locks: typeof navigator.locks?.query === 'function',
      };
    },
    { id: TAKE_ID, seconds: SECONDS, block: BLOCK, period: PERIOD, first: FIRST_FRAME },
  );
  console.log(`file held by the recorder, read from the page: ${written.readWhileOpen}`);
  expect(written.inbox.filter((m) => m.type === 'error')).toEqual([]);
  expect(written.inbox).toContainEqual(expect.objectContaining({ type: 'started', id: TAKE_ID }));
  expect(written.locks).toBe(true);

  // A second tab sees the take while the first records it: held by its Web Lock, so not unfinished,
  // and it may neither recover nor delete it.
  const context = page.context();
  const again = await context.newPage();
  await openRecorder(again, source);
  const live = await request(again, { type: 'list' }, ['takes']);
  expect(live.type === 'takes' && live.takes.find((t) => t.id === TAKE_ID)).toMatchObject({
    state: 'recording',
    unfinished: false,
  });
  expect(await request(again, { type: 'recover', id: TAKE_ID }, ['recovered'])).toMatchObject({
    type: 'error',
    message: expect.stringMatching(/another tab/),
  });
  expect(await request(again, { type: 'delete', id: TAKE_ID }, ['done'])).toMatchObject({ type: 'error' });

  // The first tab goes away mid-take: no stop, no final flush, no final manifest.
  await page.close();
  // The dead page's Worker releases its lock as it is torn down.
  let summary: TakeSummary | undefined;
  await expect
    .poll(
      async () => {
        const answer = await request(again, { type: 'list' }, ['takes']);
        if (answer.type !== 'takes') return answer.message;
        summary = answer.takes.find((t) => t.id === TAKE_ID);
        return summary?.unfinished;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  expect(summary).toMatchObject({ state: 'recording', name: 'Crash test', players: ['Ana'] });

  const recovered = await request(again, { type: 'recover', id: TAKE_ID }, ['recovered']);
  if (recovered.type === 'error') throw new Error(`recover failed: ${recovered.message}`);
  const manifest: TakeManifest = recovered.manifest!;
  expect(manifest).toMatchObject({
    state: 'recovered',
    stopReason: 'crashed',
    startContextFrame: FIRST_FRAME,
  });
  expect(await readManifest(again, TAKE_ID)).toMatchObject({ state: 'recovered' });
  console.log(
    `written ${written.frames} frames; recovered ${manifest.durationFrames} (${((100 * manifest.durationFrames) / written.frames).toFixed(2)} %)`,
  );
  expect(manifest.durationFrames).toBeGreaterThanOrEqual(Math.ceil(0.99 * written.frames));

  // Every recovered frame holds the signal of the context frame it belongs to.
  for (const track of manifest.tracks) {
    const { bytes, size } = await readTakeFileChunk(
      again,
      TAKE_ID,
      track.file,
      0,
      track.frames * 4 * track.channels,
    );
    expect(size, track.id).toBe(track.frames * 4 * track.channels);
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
  expect(manifest.tracks.map((t) => t.id).sort()).toEqual(['mix', 'self']);

  // Finished now: listed as recovered, and it can be deleted.
  expect(await request(again, { type: 'delete', id: TAKE_ID }, ['done'])).toEqual({
    type: 'done',
    request: 'delete',
  });
});
