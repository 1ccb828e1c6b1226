/**
 * `npm run bench:recording -- --minutes N [--players 4] [--baseline S]`: a band of players in headless
 * Chromium, player 1 records an N-minute take through the studio page's Record button; then the take is
 * read back from that page's private storage (OPFS) and checked sample by sample.
 *
 * Test signal: every player's fake microphone plays bench/lib/recording-signal.mjs's loop (a quiet tone,
 * never silent, with a 2 ms burst every 500 ms), and every page's bench hooks note when each burst
 * entered its capture worklet (epoch ms on the machine's one wall clock).
 *
 * Player 1 runs in a browser of its own with a persistent profile: a real player's takes live on disk,
 * while an off-the-record context (what `browser.newContext()` makes) keeps its storage in memory, which
 * would put an hour of audio in the browser process. The other players are contexts of one browser.
 *
 * Figures (bench/results/recording-<timestamp>.json, and a table):
 * - rssGrowthMb: the recording page's renderer RSS (/proc; the page's Workers and AudioWorklet are its
 *   threads) just before Stop minus just after Record showed the take running, both after a forced GC;
 *   rssTraceMb samples it every 30 s;
 * - heapGrowthMb: the page's main-thread JS heap (CDP Performance.getMetrics JSHeapUsedSize, after
 *   HeapProfiler.collectGarbage) at the same two moments. Workers' heaps are in the RSS only;
 * - cpuAddedPct: that renderer's CPU time per wall second (% of one core) over the take, minus the mean
 *   of the same measure over `baseline` seconds before Record and `baseline` seconds after Stop (same
 *   band, same audio, not recording);
 * - bytesPerMinute: the take's track files' bytes per minute of take;
 * - samplesLost (per stem, and the total): see bench/lib/recording-stems.mjs — zero runs ≥ 1 ms inside
 *   a stem outside concealed ranges, plus samples missing between bursts; `stems` also gives concealed
 *   samples, missing bursts, the head/tail each stem lacks against the take, and more;
 * - maxAlignmentErrorMs: the largest |median| over stems of (burst's place on the take's clock − the
 *   sender's captured epoch), as the e2e checks it; maxBurstErrorMs and p95BurstErrorMs over every burst.
 * Everything is bounded in time: a watchdog ends the run (and the browsers and servers) past
 * N minutes + 2 × baseline + a margin for setup and for reading the take back.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath, ensureChromium } from '../scripts/lib/chromium.mjs';
import { ensureBenchBuild } from '../scripts/lib/bench-build.mjs';
import { freeUdpTcpPort } from '../scripts/lib/coturn.mjs';
import { at } from '../scripts/lib/paths.mjs';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../scripts/lib/pb-rest.mjs';
import { setup } from '../scripts/lib/setup.mjs';
import { crowdRateLimitsEnv } from '../scripts/lib/crowd-rate-limits.mjs';
import { startStack } from '../scripts/lib/stack.mjs';
import { childPids } from './lib/cpu.mjs';
import { machineInfo } from './lib/machine.mjs';
import { listTakeIds, readManifest, streamTrack } from './lib/recording-opfs.mjs';
import { procStat, rendererOf } from './lib/recording-process.mjs';
import { StemScanner, writeSignalWav } from './lib/recording-signal.mjs';
import { analyseStem } from './lib/recording-stems.mjs';
import { capturedDeviations } from './lib/recording-upstream.mjs';
import { drainCaptured, startRecording, stopRecording } from './lib/recording-ui.mjs';

const PERIOD_MS = 500;
const RATE = 48_000;
const PERIOD_SAMPLES = (RATE * PERIOD_MS) / 1000;
/** How often the pages' impulse lists are drained into this process (they would grow all take long). */
const DRAIN_MS = 10_000;
const TRACE_MS = 30_000;
const MB = 2 ** 20;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    players: { type: 'string', default: '4' },
    baseline: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const players = Number(values.players);
if (!(minutes >= 0.25 && minutes <= 240)) throw new Error('--minutes must be between 0.25 and 240');
if (!(Number.isInteger(players) && players >= 2 && players <= 6)) throw new Error('--players must be 2–6');
const takeMs = minutes * 60_000;
/** Seconds of not recording measured before and after the take (default: the take, at most 2 min). */
const baselineS = values.baseline ? Number(values.baseline) : Math.min(120, minutes * 60);
if (!(baselineS >= 10 && baselineS <= 600)) throw new Error('--baseline must be 10–600 seconds');

// Setup and band ≤ 10 min; reading the take back took ~15 s per minute of take at load 20 (2-min run):
// allow twice that.
const budgetMs = takeMs + 2 * baselineS * 1000 + 10 * 60_000 + Math.max(5 * 60_000, takeMs / 2);
const started = Date.now();
/** @type {Array<() => Promise<unknown>>} */
const cleanups = [];
const cleanup = async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
};
const watchdog = setTimeout(() => {
  console.error(`\nbench:recording: over its time budget (${Math.round(budgetMs / 60_000)} min), stopping`);
  void cleanup().finally(() => process.exit(2));
}, budgetMs);

await setup();
const publicDir = await ensureBenchBuild();
await ensureChromium();
const work = mkdtempSync(join(tmpdir(), 'bandmesh-bench-recording-'));
cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
const wav = join(work, 'signal.wav');
// 60 s: Chromium pads each pass of the loop (a seam a minute, see recording-stems.mjs).
writeSignalWav(wav, { seconds: 60, periodMs: PERIOD_MS });
const stack = await startStack({
  httpPort: await freeUdpTcpPort('127.0.0.1'),
  relayPort: await freeUdpTcpPort('127.0.0.1'),
  publicDir,
  dataDir: join(work, 'pb_data'),
  // Players are signed up over REST and create studios at once: no mail round trip (docs/pocketbase.md#mail).
  env: { BANDMESH_REQUIRE_VERIFIED: 'false', ...crowdRateLimitsEnv() },
  quiet: true,
});
cleanups.push(() => stack.stop());
const launch = {
  executablePath: chromiumPath,
  args: [...chromiumArgs, `--use-file-for-fake-audio-capture=${wav}`],
};
const before = new Set(childPids(process.pid, /chrom/i));
const recorderContext = await chromium.launchPersistentContext(join(work, 'profile'), {
  ...launch,
  headless: true,
  baseURL: stack.url,
});
cleanups.push(() => recorderContext.close());
const recorderPid = childPids(process.pid, /chrom/i).find((pid) => !before.has(pid));
if (!recorderPid) throw new Error("cannot find the recording player's browser process");
const recorderBrowserPid = recorderPid;
const browser = await chromium.launch(launch);
cleanups.push(() => browser.close());

let result;
try {
  result = await run();
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
const chromiumVersion = browser.version();
const machine = machineInfo({ chromium: chromiumVersion });
const out = { ...result, machine };
mkdirSync(at('bench', 'results'), { recursive: true });
const file = at('bench', 'results', `recording-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 2));
printTable(out);
console.log(
  `\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Chromium ${chromiumVersion}`,
);
console.log(`written: ${file} (run took ${Math.round((Date.now() - started) / 60_000)} min)`);

async function run() {
  const accounts = [];
  for (let i = 0; i < players; i++) {
    accounts.push(await signUpUser(stack.url, { name: `Player${i + 1}`, instrument: 'keys' }));
  }
  const [owner, ...others] = accounts;
  if (!owner) throw new Error('no players');
  const slug = `rec-bench-${Date.now().toString(36)}`;
  await createStudio(stack.url, owner, { name: 'Recording bench', slug });
  for (const account of others) await joinStudio(stack.url, account, slug);

  await recorderContext.addInitScript(authInitScript(owner));
  const pages = [recorderContext.pages()[0] ?? (await recorderContext.newPage())];
  for (const account of others) {
    const context = await browser.newContext({ baseURL: stack.url });
    await context.addInitScript(authInitScript(account));
    pages.push(await context.newPage());
  }
  for (const page of pages) {
    await page.goto(`/s/${slug}?bench=1`);
    await page.getByRole('button', { name: 'Start audio' }).click({ timeout: 30_000 });
    await page.getByTestId('audio-status').filter({ hasText: 'On' }).waitFor({ timeout: 30_000 });
  }
  step(`band of ${players} up; waiting until every page hears every other`);
  for (const page of pages) {
    await page.waitForFunction(
      (others) =>
        /** @type {any} */ (window).__bandmesh
          .diagnostics()
          .filter((/** @type {any} */ d) => d.framesReceived > 0).length === others,
      players - 1,
      { timeout: 60_000 },
    );
  }
  const recorder = /** @type {import('@playwright/test').Page} */ (pages[0]);
  const renderer = await rendererOf(recorder, recorderBrowserPid);
  const cdp = await recorderContext.newCDPSession(recorder);
  await cdp.send('Performance.enable');
  const heapMb = async (/** @type {boolean} */ gc) => {
    if (gc) await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN) / MB;
  };
  const rssMb = () => (procStat(renderer)?.rssBytes ?? Number.NaN) / MB;
  const cpuSeconds = () => {
    const stat = procStat(renderer);
    if (!stat) throw new Error(`the recording page's renderer (pid ${renderer}) is gone`);
    return stat.cpuSeconds;
  };

  /** @type {number[][]} */
  const captured = pages.map(() => []);
  /** @type {Array<Array<{ epochMs: number, contextFrame: number }>>} */
  const capturedFrames = pages.map(() => []);
  const drain = async () => {
    const lists = await Promise.all(pages.map((page) => drainCaptured(page)));
    lists.forEach((list, i) => {
      captured[i]?.push(...list.captured);
      capturedFrames[i]?.push(...list.capturedFrames);
    });
  };
  /** Waits `ms`, draining the pages' impulse lists on the way; `each` runs at every drain. */
  const wait = async (/** @type {number} */ ms, each = async () => {}) => {
    const end = Date.now() + ms;
    for (let left = ms; left > 0; left = end - Date.now()) {
      await sleep(Math.min(DRAIN_MS, left));
      await drain();
      await each();
    }
  };
  /** The renderer's CPU, % of one core, and its RSS growth, MB, over `seconds` of not recording. */
  const baseline = async (/** @type {number} */ seconds) => {
    const c0 = cpuSeconds();
    const r0 = rssMb();
    const t0 = Date.now();
    await wait(seconds * 1000);
    return { pct: ((cpuSeconds() - c0) / ((Date.now() - t0) / 1000)) * 100, rssMb: rssMb() - r0 };
  };

  await wait(10_000); // jitter buffers settle
  step(`renderer of the recording page: pid ${renderer}; baseline CPU for ${baselineS} s`);
  const { pct: baselineBeforePct, rssMb: rssBefore } = await baseline(baselineS);

  const heap0 = await heapMb(true);
  const rss0 = rssMb();
  const take = await startRecording(recorder);
  const cpu0 = cpuSeconds();
  const t0 = Date.now();
  step(`recording ${minutes} min (renderer RSS ${rss0.toFixed(1)} MB, JS heap ${heap0.toFixed(1)} MB)`);
  /**
   * [seconds into the take, RSS MB]. The JS heap is read only at the ends: reading it over CDP mid-take
   * stalls the page long enough to disturb what is measured.
   */
  const trace = [[0, round(rss0)]];
  let nextTrace = t0 + TRACE_MS;
  let nextReport = t0 + 60_000;
  await wait(take.runningAt + takeMs - Date.now(), async () => {
    const now = Date.now();
    if (now >= nextTrace) {
      nextTrace += TRACE_MS;
      trace.push([Math.round((now - t0) / 1000), round(rssMb())]);
    }
    if (now >= nextReport) {
      nextReport += 60_000;
      const elapsed = await recorder.getByTestId('record-elapsed').textContent();
      step(
        `  ${Math.round((now - t0) / 60_000)} min: RSS ${rssMb().toFixed(1)} MB, shows ${elapsed?.trim()}`,
      );
    }
  });
  const recordingPct = ((cpuSeconds() - cpu0) / ((Date.now() - t0) / 1000)) * 100;
  const heap1 = await heapMb(true);
  const rss1 = rssMb();
  trace.push([Math.round((Date.now() - t0) / 1000), round(rss1)]);
  const stop = await stopRecording(recorder);
  step(
    `stopped (${((stop.stoppedAt - stop.clickedAt) / 1000).toFixed(1)} s to finalise); baseline ${baselineS} s`,
  );
  await wait(3_000);
  const { pct: baselineAfterPct, rssMb: rssAfter } = await baseline(baselineS);
  await drain();

  const captures = captured.map((list) => list.length);
  step(`captured bursts per page: ${captures.join(', ')}`);
  const ids = await listTakeIds(recorder);
  if (ids.length !== 1)
    throw new Error(`expected one take in the recording page's storage, found ${ids.length}`);
  const takeId = /** @type {string} */ (ids[0]);
  const manifest = await readManifest(recorder, takeId);
  step(
    `reading take ${takeId} back: ${manifest.tracks.length} tracks, ${(manifest.durationFrames / RATE).toFixed(1)} s`,
  );
  const byUser = new Map(accounts.map((a, i) => [a.record.id, i]));
  const stems = [];
  let bytes = 0;
  // The self stem first: its bursts are the take clock the others are measured against.
  const order = [...manifest.tracks].sort((a, b) => Number(b.kind === 'self') - Number(a.kind === 'self'));
  /** @type {import('./lib/recording-align.mjs').Pair[] | null} */
  let reference = null;
  /** @type {import('./lib/recording-upstream.mjs').Interval[] | null} */
  let localUpstream = null;
  for (const track of order) {
    const owner = track.kind === 'self' ? 0 : track.userId ? byUser.get(track.userId) : undefined;
    const scanner = new StemScanner({ channels: track.channels });
    const t = Date.now();
    bytes += await streamTrack(recorder, takeId, track, (samples) => scanner.push(samples));
    const stem = analyseStem({
      manifest,
      track,
      scan: scanner.finish(),
      captured: owner === undefined ? null : (captured[owner] ?? null),
      reference,
      // The mix holds every player's bursts, each at its own offset: only its silences are checked.
      periodSamples: track.kind === 'mix' ? null : PERIOD_SAMPLES,
      sampleRate: RATE,
      deviations:
        owner === undefined ? null : capturedDeviations(capturedFrames[owner] ?? [], PERIOD_SAMPLES),
      localUpstream,
    });
    if (track.kind === 'self') {
      reference = stem.alignment?.pairs ?? null;
      localUpstream = stem.upstreamIntervals;
    }
    // The pairs stay out of the JSON (the errors are there, in take order).
    const alignment = stem.alignment ? { ...stem.alignment, pairs: undefined } : null;
    stems.push({ player: owner === undefined ? null : owner + 1, ...stem, alignment });
    step(
      `  ${track.id}: ${stem.frames} frames, ${stem.samplesLost} lost, read in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
  }

  const takeMinutes = manifest.durationFrames / RATE / 60;
  const medians = stems.flatMap((s) =>
    s.alignment?.medianMs == null ? [] : [Math.abs(s.alignment.medianMs)],
  );
  const maxes = stems.flatMap((s) => (s.alignment?.maxAbsMs == null ? [] : [s.alignment.maxAbsMs]));
  const p95s = stems.flatMap((s) => (s.alignment?.p95AbsMs == null ? [] : [s.alignment.p95AbsMs]));
  const samplesLost = Object.fromEntries(stems.map((s) => [s.id, s.samplesLost]));
  return {
    minutes,
    players,
    /** Bursts each page's capture worklet noted over the whole run. */
    captures,
    takeSeconds: round(manifest.durationFrames / RATE),
    rssGrowthMb: round(rss1 - rss0),
    heapGrowthMb: round(heap1 - heap0),
    samplesLost,
    samplesLostTotal: stems.reduce((n, s) => n + s.samplesLost, 0),
    /** Of those, lost before any worklet saw them (the machine's audio input fell behind; see
     * bench/lib/recording-upstream.mjs), and lost by the recording: the figure the target is for. */
    samplesLostUpstream: Object.fromEntries(stems.map((s) => [s.id, s.samplesLostUpstream])),
    samplesRealigned: Object.fromEntries(stems.map((s) => [s.id, s.samplesRealigned])),
    samplesLostByRecording: Object.fromEntries(stems.map((s) => [s.id, s.samplesLostRecording])),
    concealedSamplesTotal: stems.reduce((n, s) => n + s.concealedSamples, 0),
    missingBurstsTotal: stems.reduce((n, s) => n + (s.missingBursts ?? 0), 0),
    maxAlignmentErrorMs: medians.length ? round(Math.max(...medians), 3) : null,
    maxBurstErrorMs: maxes.length ? round(Math.max(...maxes), 3) : null,
    p95BurstErrorMs: p95s.length ? round(Math.max(...p95s), 3) : null,
    cpuAddedPct: round(recordingPct - (baselineBeforePct + baselineAfterPct) / 2),
    cpu: {
      baselineSeconds: baselineS,
      beforePct: round(baselineBeforePct),
      recordingPct: round(recordingPct),
      afterPct: round(baselineAfterPct),
    },
    bytesPerMinute: Math.round(bytes / takeMinutes),
    bytes,
    rss: {
      startMb: round(rss0),
      endMb: round(rss1),
      /** The same renderer's RSS change over the baseline windows (not recording; no forced GC). */
      baselineBeforeGrowthMb: round(rssBefore),
      baselineAfterGrowthMb: round(rssAfter),
      traceMb: trace,
    },
    heap: { startMb: round(heap0), endMb: round(heap1) },
    stopSeconds: round((stop.stoppedAt - stop.clickedAt) / 1000),
    take: {
      id: takeId,
      state: manifest.state,
      stopReason: manifest.stopReason ?? null,
      durationFrames: manifest.durationFrames,
      startEpochMs: manifest.startEpochMs,
    },
    stems,
  };
}

/** @param {any} r */
function printTable(r) {
  console.log(
    '\n| minutes | players | RSS growth MB | JS heap growth MB | CPU added % of a core | bytes/min | samples lost (upstream, realigned) | samples lost by recording | concealed samples | max alignment error ms (median per stem) | max per-burst error ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${r.minutes} | ${r.players} | ${r.rssGrowthMb} (not recording: ${r.rss.baselineBeforeGrowthMb}, ${r.rss.baselineAfterGrowthMb}) | ${r.heapGrowthMb} | ${r.cpuAddedPct} (${r.cpu.beforePct} → ${r.cpu.recordingPct} → ${r.cpu.afterPct}) | ${(r.bytesPerMinute / 1e6).toFixed(1)} MB | ${r.samplesLostTotal} (${sum(r.samplesLostUpstream)}, ${sum(r.samplesRealigned)}) | ${sum(r.samplesLostByRecording)} | ${r.concealedSamplesTotal} | ${r.maxAlignmentErrorMs} | ${r.maxBurstErrorMs} |`,
  );
  console.log(
    '\n| stem | player | start sample | frames | tail short | lost | upstream | realigned | by recording | zeros | dropped | concealed | bursts | missing | median ms | p95 abs ms | max abs ms | unmatched |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.stems) {
    const a = s.alignment;
    console.log(
      `| ${s.id} | ${s.player ?? '—'} | ${s.startSample} | ${s.frames} | ${s.tailFrames} | ${s.samplesLost} | ${s.samplesLostUpstream ?? '—'} | ${s.samplesRealigned ?? '—'} | ${s.samplesLostRecording ?? '—'} | ${s.zeroSamples} | ${s.droppedSamples} | ${s.concealedSamples} | ${s.bursts} | ${s.missingBursts ?? '—'} | ${a?.medianMs ?? '—'} | ${a?.p95AbsMs ?? '—'} | ${a?.maxAbsMs ?? '—'} | ${a?.unmatched ?? '—'} |`,
    );
  }
}

/**
 * Sum of a per-stem figure (stems without one left out).
 * @param {Record<string, number | null>} byStem
 */
function sum(byStem) {
  return Object.values(byStem).reduce((n, x) => n + (x ?? 0), 0);
}

/** @param {string} text */
function step(text) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
}
/** @param {number} x */
function round(x, digits = 1) {
  const f = 10 ** digits;
  return Number.isFinite(x) ? Math.round(x * f) / f : null;
}
/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
