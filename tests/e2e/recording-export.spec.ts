/**
 * The export Worker over the browser's real Origin Private File System: a take laid out in
 * `bandmesh-takes/<id>/` as the recorder leaves it, exported as WAV (all, concealed ranges silenced) and
 * as Opus (stems), the zips read back here with reference readers (yauzl, node-wav, ogg-opus-decoder):
 * every file starts at take sample 0 and holds its track's signal there. Also: a take whose recorder
 * still holds its Web Lock is refused with a sentence, and leaves no zip.
 *
 * The Worker is the app's own: the bench build's `export.worker-*.js` when the app bundles it, else the
 * same entry bundled here with rolldown, loaded from a blob: URL of the app's origin.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { decode as decodeWav } from 'node-wav';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { rolldown } from 'rolldown';
import yauzl from 'yauzl';
import type { FromExportWorker } from '../../src/lib/recording/export-messages';
import { expect, newPlayerPage, test } from './fixtures';

const TAKE_ID = 'e2e-export-take';
const SECONDS = 10;
const RATE = 48_000;
const LATE = RATE; // Bo's track starts 1 s into the take
const CONCEALED: [number, number] = [3 * RATE, 3 * RATE + 960];

/** The test signals: sums of sines (amplitude, Hz) of the take sample, so each file says where it belongs. */
const SIGNALS = {
  mixL: [
    [0.4, 220],
    [0.1, 1234],
  ],
  mixR: [[0.4, 330]],
  self: [[0.5, 440]],
  bo: [
    [0.3, 523.25],
    [0.1, 97],
  ],
} satisfies Record<string, Array<[number, number]>>;

function signal(partials: ReadonlyArray<readonly [number, number]>, n: number): number {
  let sum = 0;
  for (const [amplitude, hz] of partials) sum += amplitude * Math.sin((2 * Math.PI * hz * n) / RATE);
  return sum;
}

type WorkerSource = { url: string } | { code: string };

async function exportWorkerSource(): Promise<{ source: WorkerSource; from: string }> {
  const dir = join('bench', 'build', '_app', 'immutable', 'workers');
  const built = existsSync(dir) ? readdirSync(dir).find((f) => /^export\.worker-.*\.js$/.test(f)) : undefined;
  if (built) return { source: { url: `/_app/immutable/workers/${built}` }, from: `bench build (${built})` };
  const bundle = await rolldown({ input: 'src/lib/recording/export.worker.ts', logLevel: 'silent' });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  return { source: { code: output[0].code }, from: 'src/lib/recording/export.worker.ts bundled by rolldown' };
}

/** Lays the take out in OPFS as the recorder does: take.json and one float32 file per track. */
async function writeTake(page: Page, id: string, seconds: number): Promise<void> {
  await page.evaluate(
    async ({ id, seconds, late, concealed, signals }) => {
      const rate = 48_000;
      // The same sums of sines as signal() in the spec (a page cannot take functions from Node).
      const at = (partials: number[][], n: number) => {
        let sum = 0;
        for (const [amplitude, hz] of partials) sum += amplitude! * Math.sin((2 * Math.PI * hz! * n) / rate);
        return sum;
      };
      const frames = seconds * rate;
      const track = (
        tid: string,
        kind: string,
        name: string,
        instrument: string,
        channels: number,
        start: number,
        n: number,
        hidden: number[][] = [],
      ) => ({
        id: tid,
        kind,
        userId: kind === 'mix' ? null : `user-${tid}`,
        name,
        instrument,
        channels,
        file: `${tid}.f32`,
        startSample: start,
        frames: n,
        concealed: hidden,
        aligned: true,
        clockUncertaintyMs: null,
      });
      const tracks = [
        track('mix', 'mix', 'Mix', '', 2, 0, frames),
        track('self', 'self', 'Ana', 'voice', 1, 0, frames),
        track('u-bo', 'remote', 'Bo', 'keys', 1, late, frames - late, [concealed]),
      ];
      const manifest = {
        version: 1,
        id,
        name: 'Export e2e',
        studio: { id: 's', slug: 'band', name: 'Band' },
        recordedBy: { userId: 'user-self', name: 'Ana' },
        startedAt: new Date().toISOString(),
        startEpochMs: Date.now(),
        startContextFrame: 0,
        sampleRate: rate,
        state: 'complete',
        durationFrames: frames,
        tracks,
        stopReason: 'stopped',
        sequence: 1,
      };
      const root = await navigator.storage.getDirectory();
      const dir = await (
        await root.getDirectoryHandle('bandmesh-takes', { create: true })
      ).getDirectoryHandle(id, { create: true });
      const put = async (name: string, data: BufferSource | string) => {
        const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
        await writable.write(data);
        await writable.close();
      };
      await put('take.json', JSON.stringify(manifest));
      const mix = new Float32Array(frames * 2);
      for (let n = 0; n < frames; n++) {
        mix[2 * n] = at(signals.mixL, n);
        mix[2 * n + 1] = at(signals.mixR, n);
      }
      await put('mix.f32', mix);
      await put(
        'self.f32',
        Float32Array.from({ length: frames }, (_, n) => at(signals.self, n)),
      );
      await put(
        'u-bo.f32',
        Float32Array.from({ length: frames - late }, (_, i) => at(signals.bo, late + i)),
      );
    },
    {
      id,
      seconds,
      late: LATE,
      concealed: CONCEALED,
      signals: SIGNALS as Record<keyof typeof SIGNALS, number[][]>,
    },
  );
}

interface ExportRun {
  messages: Array<FromExportWorker & { at: number }>;
  zip: Buffer | null;
  exportsListed: string[];
}

/** Starts the Worker in the page, runs one export, returns its messages and the zip's bytes. */
async function runExport(page: Page, source: WorkerSource, request: object): Promise<ExportRun> {
  const result = await page.evaluate(
    async ({ source, request }) => {
      const url =
        'url' in source
          ? source.url
          : URL.createObjectURL(new Blob([source.code], { type: 'text/javascript' }));
      const worker = new Worker(url, { type: 'module' });
      const messages: Array<Record<string, unknown>> = [];
      const done = new Promise<File | null>((resolve, reject) => {
        worker.onmessage = (event) => {
          const m = event.data as { type: string; file?: File };
          messages.push({ ...m, file: undefined, at: performance.now() });
          if (m.type === 'done') resolve(m.file!);
          if (m.type === 'error') resolve(null);
        };
        worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
      });
      worker.postMessage(request);
      const file = await done;
      worker.terminate();
      let zip: string | null = null;
      if (file) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000)
          text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        zip = btoa(text);
      }
      const listed: string[] = [];
      const root = await navigator.storage.getDirectory();
      const exportsDir = await root.getDirectoryHandle('bandmesh-exports', { create: true });
      for await (const name of (exportsDir as unknown as { keys(): AsyncIterable<string> }).keys())
        listed.push(name);
      return { messages, zip, exportsListed: listed };
    },
    { source, request },
  );
  return {
    messages: result.messages as unknown as ExportRun['messages'],
    zip: result.zip === null ? null : Buffer.from(result.zip, 'base64'),
    exportsListed: result.exportsListed,
  };
}

function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (error, zip) => {
      if (error) return reject(error);
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        }),
      );
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** What a file of `frames` frames starting at take sample 0 should hold for a track starting at `start`. */
function expected(
  partials: ReadonlyArray<readonly [number, number]>,
  start: number,
  frames: number,
  silenced: [number, number] | null,
) {
  return Float32Array.from({ length: frames }, (_, n) =>
    n < start || (silenced && n >= silenced[0] && n < silenced[1]) ? 0 : signal(partials, n),
  );
}

test('the export Worker turns an OPFS take into zips whose files line up at take sample 0', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { source, from } = await exportWorkerSource();
  console.log(`export Worker: ${from}`);
  const page = await newPlayerPage(browser, baseURL!);
  await page.goto('/');
  await writeTake(page, TAKE_ID, SECONDS);
  const frames = SECONDS * RATE;

  // WAV, everything, concealed ranges silenced.
  const wav = await runExport(page, source, {
    type: 'export',
    job: 1,
    takeId: TAKE_ID,
    format: 'wav',
    what: 'all',
    silenceConcealed: true,
  });
  expect(wav.messages.filter((m) => m.type === 'error')).toEqual([]);
  const progress = wav.messages
    .filter((m) => m.type === 'progress')
    .map((m) => (m as { fraction: number }).fraction);
  expect(progress.length).toBeGreaterThan(0);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
  expect(wav.exportsListed).toContain(`${TAKE_ID}-all-wav.zip`);
  const wavEntries = await unzip(wav.zip!);
  expect([...wavEntries.keys()]).toEqual([
    'manifest.json',
    'Export e2e.rpp',
    'Export e2e.lof',
    'mix.wav',
    '01 Ana (voice).wav',
    '02 Bo (keys).wav',
  ]);
  const checks: Array<[string, number, Float32Array]> = [
    ['mix.wav', 0, expected(SIGNALS.mixL, 0, frames, null)],
    ['mix.wav', 1, expected(SIGNALS.mixR, 0, frames, null)],
    ['01 Ana (voice).wav', 0, expected(SIGNALS.self, 0, frames, null)],
    ['02 Bo (keys).wav', 0, expected(SIGNALS.bo, LATE, frames, CONCEALED)],
  ];
  for (const [name, channel, want] of checks) {
    const got = decodeWav(wavEntries.get(name)!).channelData[channel]!;
    expect(got.length, name).toBe(want.length);
    let worst = 0;
    for (let n = 0; n < want.length; n++) worst = Math.max(worst, Math.abs(got[n]! - want[n]!));
    expect(worst, `${name} channel ${channel}`).toBeLessThan(2 / 8_388_607);
  }
  expect(wavEntries.get('Export e2e.lof')!.toString()).toBe(
    'file "01 Ana (voice).wav" offset 0.00000000000000\nfile "02 Bo (keys).wav" offset 0.00000000000000\n',
  );
  const manifest = JSON.parse(wavEntries.get('manifest.json')!.toString());
  expect(manifest.tracks[2]).toMatchObject({ exportFile: '02 Bo (keys).wav', concealedSeconds: [[3, 3.02]] });

  // Opus, stems: exact lengths, each stem at its place.
  const opus = await runExport(page, source, {
    type: 'export',
    job: 2,
    takeId: TAKE_ID,
    format: 'opus',
    what: 'stems',
    silenceConcealed: false,
  });
  expect(opus.messages.filter((m) => m.type === 'error')).toEqual([]);
  const opusEntries = await unzip(opus.zip!);
  expect([...opusEntries.keys()].slice(3)).toEqual(['01 Ana (voice).opus', '02 Bo (keys).opus']);
  for (const [name, fn, start] of [
    ['01 Ana (voice).opus', SIGNALS.self, 0],
    ['02 Bo (keys).opus', SIGNALS.bo, LATE],
  ] as const) {
    const decoder = new OggOpusDecoder();
    await decoder.ready;
    const decoded = await decoder.decodeFile(opusEntries.get(name)!);
    decoder.free();
    const got = decoded.channelData[0]!;
    expect(decoded.samplesDecoded, name).toBe(frames);
    const want = expected(fn, start, frames, null);
    const from = start + RATE;
    let best = -Infinity;
    let bestLag = 0;
    for (let lag = -30; lag <= 30; lag++) {
      let sum = 0;
      for (let n = from; n < from + 4800; n++) sum += want[n]! * got[n + lag]!;
      if (sum > best) [best, bestLag] = [sum, lag];
    }
    expect(bestLag, `${name}: lag of the best match`).toBe(0);
    let lead = 0;
    for (let n = 0; n < start - 960; n++) lead = Math.max(lead, Math.abs(got[n]!));
    expect(lead, `${name}: silence before the track starts`).toBeLessThan(1e-3);
  }

  // A take whose recorder holds its lock is refused, and leaves no zip.
  await page.evaluate((name) => {
    void navigator.locks.request(name, () => new Promise(() => {}));
  }, `bandmesh-take-${TAKE_ID}`);
  const refused = await runExport(page, source, {
    type: 'export',
    job: 3,
    takeId: TAKE_ID,
    format: 'wav',
    what: 'mix',
    silenceConcealed: false,
  });
  expect(refused.messages.at(-1)).toMatchObject({
    type: 'error',
    name: 'InUseError',
    message: expect.stringMatching(/still being recorded/),
  });
  expect(refused.exportsListed).not.toContain(`${TAKE_ID}-mix-wav.zip`);
});

test("the browser's quota running out mid-export gives a clear error and leaves no zip", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const id = 'e2e-export-quota';
  const { source } = await exportWorkerSource();
  const page = await newPlayerPage(browser, baseURL!);
  await page.goto('/');
  await writeTake(page, id, 120); // ~90 MB of float32: a WAV export long enough to cut short
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(baseURL!).origin;
  const usage = () => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

  await page.evaluate(
    ({ source, id }) => {
      const url =
        'url' in source
          ? source.url
          : URL.createObjectURL(new Blob([source.code], { type: 'text/javascript' }));
      const worker = new Worker(url, { type: 'module' });
      const inbox: Array<Record<string, unknown>> = [];
      worker.onmessage = (event) => inbox.push({ ...event.data, file: undefined });
      worker.onerror = (event) => inbox.push({ type: 'worker-error', message: event.message });
      Object.assign(window, { __export: inbox });
      worker.postMessage({
        type: 'export',
        job: 1,
        takeId: id,
        format: 'wav',
        what: 'all',
        silenceConcealed: false,
      });
    },
    { source, id },
  );
  const inbox = () =>
    page.evaluate(() => (window as unknown as { __export: Array<{ type: string }> }).__export);
  // Room for the storage check at the start; once writing, 1 MB left.
  await expect
    .poll(async () => (await inbox()).some((m) => m.type === 'progress'), { timeout: 30_000 })
    .toBe(true);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: (await usage()) + 1024 * 1024 });
  await expect.poll(async () => (await inbox()).at(-1)?.type, { timeout: 60_000 }).toMatch(/^(done|error)$/);
  const messages = await inbox();
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  console.log(`last message: ${JSON.stringify(messages.at(-1))}`);
  expect(messages.at(-1)).toMatchObject({
    type: 'error',
    name: 'QuotaExceededError',
    message:
      'The storage is full: the export could not be written. Delete old takes or exports, then try again.',
  });
  const listed = await page.evaluate(async () => {
    const names: string[] = [];
    const dir = await (
      await navigator.storage.getDirectory()
    ).getDirectoryHandle('bandmesh-exports', { create: true });
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  });
  expect(listed).not.toContain(`${id}-all-wav.zip`);
});
