/**
 * `npm run bench:metronome -- [--seconds 30] [--bpm 120]`: three players in headless Chromium (real
 * stack: PocketBase, relay; the bench build of the app), audio on, the first player starts the
 * metronome from its page; each page's playback worklet reports the frame it started every click on,
 * which the page maps to when that click is heard on the shared timeline's clock
 * (`window.__bandmesh.clicks`). The figures are how far apart the three players' clicks of each beat
 * fall on that clock (bench/lib/metronome-agreement.mjs); the target is within 2 ms.
 *
 * The three pages share one machine and one wall clock, so the measured offsets should be near zero:
 * what this measures is the pipeline (offset estimates over the data channels, each context's played-
 * time mapping, sample rounding), not disagreeing clocks. The machine's load (loadavg) before and after
 * the run goes into the JSON, since other work on it shows up in every figure.
 * Writes docs/bench-runs/metronome-<timestamp>.json.
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

const PLAYERS = 3;
const TARGET_MS = 2;
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, bpm: { type: 'string', default: '120' } },
});
const seconds = Number(values.seconds);
const bpm = Number(values.bpm);
if (!(seconds >= 5 && seconds <= 600)) throw new Error('--seconds must be 5–600');
if (!(bpm >= 30 && bpm <= 300)) throw new Error('--bpm must be 30–300');

await setup();
const publicDir = await ensureBenchBuild();
await ensureChromium();
const work = mkdtempSync(join(tmpdir(), 'bandmesh-metronome-'));
const loadBefore = loadavg();
const stack = await startStack({
  httpPort: 18390,
  relayPort: 18391,
  publicDir,
  dataDir: join(work, 'pb_data'),
  turn: false,
  quiet: true,
  env: { BANDMESH_REQUIRE_VERIFIED: 'false', ...crowdRateLimitsEnv() },
});
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
// The whole run is bounded: setup, clock settling and the run itself, with a margin.
const watchdog = setTimeout(
  () => {
    console.error('metronome bench: over time, giving up');
    process.exit(2);
  },
  (seconds + 180) * 1000,
);

let result;
try {
  const band = await openBand(browser, { url: stack.url, players: PLAYERS, name: 'Metronome' });
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
const file = at('docs', 'bench-runs', `metronome-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ machine, seconds, bpm, players: PLAYERS, targetMs: TARGET_MS, ...result }, null, 2),
);
const a = result.agreement;
console.log(
  `${a.beats} beats heard by all ${PLAYERS}: spread p50 ${a.spreadP50Ms} ms, p95 ${a.spreadP95Ms} ms, ` +
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
  // Every page has measured its offset to every other (the clock pongs come with the link pings).
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
  await first.getByLabel('Tempo (BPM)').fill(String(bpm));
  await first.getByLabel('Tempo (BPM)').press('Enter');
  await first.getByRole('button', { name: 'Start with count-in' }).click();
  await first.waitForTimeout(seconds * 1000);
  await first.getByRole('button', { name: 'Stop click' }).click();
  const clicks = [];
  const clocks = [];
  for (const page of pages) {
    const state = await page.evaluate(() => ({
      clicks: window.__bandmesh.clicks,
      clocks: window.__bandmesh.metronome().clocks,
    }));
    clicks.push(state.clicks);
    clocks.push(state.clocks);
  }
  return {
    agreement: clickAgreement(clicks, { fromBeat: -4 }),
    clocks,
    clicks: clicks.map((list) => list.map((c) => [c.beat, Math.round(c.sharedMs * 1000) / 1000])),
  };
}
