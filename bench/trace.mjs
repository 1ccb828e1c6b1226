/**
 * `npm run bench:trace`: records real arrival traces of the audio frames between two players of the
 * real app in headless Chromium on loopback (what the jitter buffer actually sees), and writes them
 * compactly to src/lib/worklet/dsp/traces/<codec>-<frameMs>ms.json, where the jitter-buffer tests replay
 * them. Format: { frameSamples, arrivalsUs: integer µs after the first arrival, seqs: seq − first seq,
 * senderTimes: sender sample index − the first }.
 * Options: --seconds N (default 30), --codec opus|pcm, --frame-ms 2.5|5|10.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath, ensureChromium } from '../scripts/lib/chromium.mjs';
import { ensureBenchBuild } from '../scripts/lib/bench-build.mjs';
import { at } from '../scripts/lib/paths.mjs';
import { setup } from '../scripts/lib/setup.mjs';
import { crowdRateLimitsEnv } from '../scripts/lib/crowd-rate-limits.mjs';
import { startStack } from '../scripts/lib/stack.mjs';
import { openBand } from './lib/studio-pages.mjs';
import { latenessPercentiles } from './lib/trace-stats.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    codec: { type: 'string', default: 'pcm' },
    'frame-ms': { type: 'string', default: '2.5' },
  },
});
const seconds = Math.max(5, Math.min(110, Number(values.seconds) || 30));
const frameMs = Number(values['frame-ms']);
const codec = values.codec === 'opus' ? 'opus' : 'pcm';

await setup();
// The production build has no benchmark hooks: serve the bench build.
const publicDir = await ensureBenchBuild();
await ensureChromium();
const work = mkdtempSync(join(tmpdir(), 'bandmesh-trace-'));
const stack = await startStack({
  httpPort: 18290,
  publicDir,
  relayPort: 18291,
  dataDir: join(work, 'pb_data'),
  // Players are signed up over REST and create studios at once: no mail round trip (docs/pocketbase.md#mail).
  env: { BANDMESH_REQUIRE_VERIFIED: 'false', ...crowdRateLimitsEnv() },
  quiet: true,
});
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
try {
  const { pages } = await openBand(browser, { url: stack.url, players: 2, name: 'Trace' });
  const settings = { codec, frameMs, channels: 1, bitrate: 96_000, fec: false, voiceProcessing: false };
  for (const page of pages) await page.evaluate((s) => window.__bandmesh.start(s), settings);
  console.log(`recording ${seconds} s of ${codec} ${frameMs} ms frames…`);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const traces = await pages[1].evaluate(() => window.__bandmesh.arrivalTraces());
  const triples = Object.values(traces)[0] ?? [];
  const arrivals = [];
  const seqs = [];
  const senderTimes = [];
  for (let i = 0; i < triples.length; i += 3) {
    arrivals.push(Math.round((triples[i] - triples[0]) * 1000));
    seqs.push((triples[i + 1] - triples[1]) | 0);
    senderTimes.push((triples[i + 2] - triples[2]) | 0);
  }
  const dir = at('src', 'lib', 'worklet', 'dsp', 'traces');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${codec}-${frameMs}ms.json`);
  writeFileSync(
    file,
    JSON.stringify({
      recorded: new Date().toISOString().slice(0, 10),
      what: `arrivals of ${codec} ${frameMs} ms frames, headless Chromium, loopback, 2 peers`,
      frameSamples: Math.round(frameMs * 48),
      arrivalsUs: arrivals,
      seqs,
      senderTimes,
    }),
  );
  console.log(`${arrivals.length} arrivals written to ${file}`);
  console.log('lateness (ms):', JSON.stringify(latenessPercentiles({ arrivalsUs: arrivals, senderTimes })));
} finally {
  await browser.close();
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
}
