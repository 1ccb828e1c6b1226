/**
 * `npm run bench:tracks -- [--starts 12]`: three players in headless Chromium (real stack: PocketBase,
 * relay; the bench build of the app), audio on; the first player uploads a WAV through the backing-track
 * panel, plays it once so every player has it loaded, then starts it `starts` times from different
 * positions (each a fresh start, 400 ms ahead, on its clock). Each page's playback worklet reports the
 * context frame at which it rendered the start position, which the page maps to when that sample is
 * heard on the transport's clock (`window.__bandmesh.trackStarts`). The figures are how far apart the
 * three players' starts fall on that clock (bench/lib/metronome-agreement.mjs); the target is 5 ms.
 *
 * As in bench:metronome, the three pages share one machine and one wall clock: this measures the
 * pipeline (offset estimates, each context's played-time mapping, sample rounding, decoding and
 * resampling of the same file), not disagreeing clocks. The machine's load goes into the JSON.
 * Writes docs/bench-runs/tracks-<timestamp>.json.
 */
import { loadavg, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { ensureBenchBuild } from '../scripts/lib/bench-build.mjs';
import { chromiumArgs, chromiumPath, ensureChromium } from '../scripts/lib/chromium.mjs';
import { crowdRateLimitsEnv } from '../scripts/lib/crowd-rate-limits.mjs';
import { at } from '../scripts/lib/paths.mjs';
import { setup } from '../scripts/lib/setup.mjs';
import { startStack } from '../scripts/lib/stack.mjs';
import { machineInfo } from './lib/machine.mjs';
import { clickAgreement } from './lib/metronome-agreement.mjs';
import { openBand } from './lib/studio-pages.mjs';
import { toneWav } from './lib/tone-wav.mjs';

const PLAYERS = 3;
const TARGET_MS = 5;
const TRACK_SECONDS = 30;
const { values } = parseArgs({ options: { starts: { type: 'string', default: '12' } } });
const starts = Number(values.starts);
if (!(Number.isInteger(starts) && starts >= 3 && starts <= TRACK_SECONDS - 2)) {
  throw new Error(`--starts must be 3–${TRACK_SECONDS - 2}`);
}

await setup();
const publicDir = await ensureBenchBuild();
await ensureChromium();
const work = mkdtempSync(join(tmpdir(), 'bandmesh-tracks-'));
const loadBefore = loadavg();
const stack = await startStack({
  httpPort: 18394,
  relayPort: 18395,
  publicDir,
  dataDir: join(work, 'pb_data'),
  turn: false,
  quiet: true,
  env: { BANDMESH_REQUIRE_VERIFIED: 'false', ...crowdRateLimitsEnv() },
});
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
const watchdog = setTimeout(
  () => {
    console.error('tracks bench: over time, giving up');
    process.exit(2);
  },
  (starts * 4 + 240) * 1000,
);

let result;
try {
  const band = await openBand(browser, { url: stack.url, players: PLAYERS, name: 'Tracks' });
  try {
    result = await measure(band.pages);
  } finally {
    await band.close();
  }
} finally {
  clearTimeout(watchdog);
  await browser.close();
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
}

const machine = machineInfo({
  chromium: browser.version(),
  loadavgBefore: loadBefore.map((v) => Math.round(v * 100) / 100),
  loadavgAfter: loadavg().map((v) => Math.round(v * 100) / 100),
});
mkdirSync(at('docs', 'bench-runs'), { recursive: true });
const file = at('docs', 'bench-runs', `tracks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ machine, starts, players: PLAYERS, targetMs: TARGET_MS, ...result }, null, 2),
);
const a = result.agreement;
console.log(
  `${a.beats} starts heard by all ${PLAYERS}: spread p50 ${a.spreadP50Ms} ms, p95 ${a.spreadP95Ms} ms, ` +
    `max ${a.spreadMaxMs} ms (target ≤ ${TARGET_MS} ms: ${a.spreadMaxMs <= TARGET_MS ? 'met' : 'NOT met'})`,
);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadavgBefore.join(' ')} → ${machine.loadavgAfter.join(' ')}`,
);
console.log(`written: ${file}`);

/** @param {import('@playwright/test').Page[]} pages */
async function measure(pages) {
  for (const page of pages) {
    await page.getByRole('button', { name: 'Start audio' }).click();
    await page.getByTestId('audio-status').filter({ hasText: 'On' }).waitFor({ timeout: 30_000 });
  }
  for (const page of pages) {
    await page.waitForFunction(
      (n) => {
        const { clocks } = window.__bandmesh.metronome();
        return clocks.length === n - 1 && clocks.every((c) => c.clock !== null);
      },
      PLAYERS,
      { timeout: 60_000, polling: 500 },
    );
  }
  const [first] = pages;
  await first
    .getByTestId('backing-file')
    .setInputFiles({ name: 'bench.wav', mimeType: 'audio/wav', buffer: toneWav(TRACK_SECONDS) });
  await first.getByLabel('Title').fill('Bench track');
  await first.getByTestId('backing-upload').click();
  await first.getByTestId('backing-list').filter({ hasText: 'Bench track' }).waitFor({ timeout: 30_000 });
  // The first play loads the file everywhere (3 s ahead); the measured starts follow, 400 ms ahead each.
  await first.getByRole('button', { name: 'Play Bench track for everyone' }).click();
  for (const page of pages) {
    await page.waitForFunction(() => window.__bandmesh.backingTrack().load.kind === 'ready', null, {
      timeout: 60_000,
      polling: 250,
    });
  }
  await first.getByTestId('backing-stop').click();
  for (const page of pages) await page.evaluate(() => window.__bandmesh.trackStarts.splice(0));
  for (let k = 1; k <= starts; k++) {
    // Stopped: move to k seconds, then play from there (a fresh start on the first player's clock).
    await first.getByLabel('Position').fill(String(k));
    await first
      .getByTestId('backing-play')
      .filter({ hasText: `0:${String(k).padStart(2, '0')}` })
      .click();
    await first.waitForTimeout(1500);
    await first.getByTestId('backing-stop').click();
    await first.waitForTimeout(300);
  }
  const reports = [];
  for (const page of pages) reports.push(await page.evaluate(() => window.__bandmesh.trackStarts));
  // One "beat" per start position (each start has its own), as clickAgreement compares them.
  const asBeats = reports.map((list) =>
    list.map((s) => ({ beat: Math.round(s.fromMs / 1000), sharedMs: s.sharedMs })),
  );
  return {
    agreement: clickAgreement(asBeats, { fromBeat: 1 }),
    starts: reports.map((list) =>
      list.map((s) => [Math.round(s.fromMs), Math.round(s.sharedMs * 1000) / 1000]),
    ),
  };
}
