/**
 * `npm run bench:latency`: one-way mouth-to-ear latency of the real app in headless Chromium on
 * loopback, for each transport and band size, in one run.
 *
 * Every player's fake microphone plays a click every 500 ms (a WAV this script writes). The capture
 * worklet time-stamps each click as it enters the graph; each receiver's playback worklet time-stamps it
 * as it leaves that sender's jitter buffer; both clocks are the machine's wall clock
 * (performance.timeOrigin + the AudioContext's output timestamps), so differences are one-way delays.
 * Two figures per click: graph to graph (capture worklet in → playback worklet out: the path this app
 * controls; device latencies excluded at both ends), and to the receiver's speaker (+ the receiver's
 * reported output latency, 8 ms with Chromium's fake output device; the sender's input latency stays
 * excluded). Underruns and concealed gaps come from the jitter buffers' counters, CPU from /proc for the
 * whole browser.
 *
 * Options: --seconds N (measured per row, default 20), --warmup N (seconds before measuring, default 10),
 * --peers 2,4, --rows opus-2.5,opus-5,... (`opus-2.5-sfu`: the band's room pinned to the relay's SFU by
 * the signed room-mode control, measured once every stream arrives through it).
 * Writes bench/results/latency-<timestamp>.json ({ machine, seconds, warmup, rows }) and prints a table.
 * A stream is one sender heard by one receiver: peers × (peers − 1) per row. Fields of a row:
 * - transport (the row name), frameMs, peers; failed: the reason, when the row could not run;
 * - graphP50Ms, graphP95Ms: one-way click latency graph to graph;
 * - p50Ms, p95Ms, maxMs: one-way click latency to the receiver's speaker; samples of expectedSamples
 *   clicks were heard and matched;
 * - underrunsPerMin: jitter-buffer underruns per stream and minute (null on the track path);
 * - maxConcealedGapMs: the longest concealed gap of any stream in the window — a run of output its jitter
 *   buffer filled by concealment because audio was missing, late or synthesised by the Worker's Opus PLC
 *   (definition in src/lib/worklet/dsp/jitter-buffer.ts; growth inserts and a stream's end are not
 *   gaps). Measured over the whole seconds of the playback clock inside the window (the first 1–2 s of
 *   it are left out, as the second in progress when it opened began during the warm-up); null on the
 *   track path;
 * - gapsOver20msPerMin: gaps longer than 20 ms per stream and minute (whole window; null on the track
 *   path); gapSeconds: the fewest seconds any stream's gap measure covered; gapSecondsMissed: seconds no
 *   poll saw (the page was polled too rarely; then maxConcealedGapMs may miss a gap);
 * - jbDepthMs: the receivers' jitter-buffer depth incl. its 2.8 ms render look-ahead, median over the
 *   window's polls; rttMs: the audio channel's round trip Worker ⇄ Worker, median (null on the track path);
 * - legsMs: medians of each click's legs — captureToWorker (capture worklet → our Worker encodes it),
 *   workerToWorker (→ the receiver's Worker decoded it), workerToOutput (→ it left the jitter buffer);
 * - skipsPerMin: buffered frames the jitter buffers dropped to catch up, per stream and minute;
 * - cpuPct: browser CPU, % of one core.
 */
import { machineInfo } from './lib/machine.mjs';
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
import { childPids, treeCpuSeconds } from './lib/cpu.mjs';
import { writeImpulseWav } from './lib/impulses.mjs';
import { matchLatencies, percentile, windowLongestGap } from './lib/stats.mjs';
import { forceRoomMode } from './lib/room-mode.mjs';
import { openBand } from './lib/studio-pages.mjs';

const PERIOD_MS = 500;
/** Diagnostics poll period during the window (each stream's gap measure needs one poll per second). */
const GAP_POLL_MS = 250;
const ROWS = {
  'opus-2.5': { transport: 'opus', frameMs: 2.5 },
  'opus-5': { transport: 'opus', frameMs: 5 },
  'opus-10': { transport: 'opus', frameMs: 10 },
  'pcm-2.5': { transport: 'pcm', frameMs: 2.5 },
  'opus-2.5-impaired': { transport: 'opus', frameMs: 2.5, impair: 'loss:1,jitter:2' },
  // The fallback path for comparison: a WebRTC audio track per pair (Opus 10 ms, NetEq at its minimum).
  track: { transport: 'track', frameMs: 10 },
  // The same band with its room pinned to the relay's SFU (sealed frames, bundles per receiver).
  'opus-2.5-sfu': { transport: 'opus', frameMs: 2.5, sfu: true },
};

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '10' },
    peers: { type: 'string', default: '2,4' },
    rows: { type: 'string', default: Object.keys(ROWS).join(',') },
  },
});
const seconds = Math.max(5, Math.min(300, Number(values.seconds) || 20));
/** Seconds of audio before measuring: jitter buffers start deep and settle within about 10 s. */
const warmup = Math.max(0, Math.min(60, Number(values.warmup) || 0));
const peerCounts = values.peers
  .split(',')
  .map(Number)
  .filter((n) => n >= 2 && n <= 6);
const rowNames = values.rows.split(',').filter((name) => name in ROWS);

await setup();
// The production build has no benchmark hooks: serve the bench build.
const publicDir = await ensureBenchBuild();
await ensureChromium();
const work = mkdtempSync(join(tmpdir(), 'bandmesh-bench-'));
const wav = join(work, 'impulses.wav');
writeImpulseWav(wav, { periodMs: PERIOD_MS });
const stack = await startStack({
  httpPort: 18190,
  publicDir,
  relayPort: 18191,
  dataDir: join(work, 'pb_data'),
  // Players are signed up over REST and create studios at once: no mail round trip (docs/pocketbase.md#mail).
  env: { BANDMESH_REQUIRE_VERIFIED: 'false', ...crowdRateLimitsEnv() },
  quiet: true,
});
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [...chromiumArgs, `--use-file-for-fake-audio-capture=${wav}`],
});
// Playwright starts Chromium as a child of this process (PocketBase and the relay are children too).
const browserPid = childPids(process.pid, /chrom/i)[0];
const results = [];

try {
  for (const peers of peerCounts) {
    for (const name of rowNames) {
      const row = ROWS[name];
      process.stdout.write(`measuring ${name} with ${peers} peers for ${seconds} s… `);
      try {
        const result = await measure({ ...row, name, peers });
        results.push(result);
        console.log(`p50 ${fmt(result.p50Ms)} ms, p95 ${fmt(result.p95Ms)} ms, ${result.samples} samples`);
      } catch (error) {
        // One row that cannot run (e.g. the machine cannot carry it) must not lose the others.
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        results.push({ transport: name, frameMs: row.frameMs, peers, failed: reason });
        console.log(`failed: ${reason}`);
      }
    }
  }
} finally {
  await browser.close();
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
}

const machine = machineInfo({ chromium: browser.version() });
mkdirSync(at('bench', 'results'), { recursive: true });
const file = at('bench', 'results', `latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, seconds, warmup, rows: results }, null, 2));
printTable(results);
printLegs(results);
console.log(
  `\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Chromium ${machine.chromium}`,
);
console.log(`written: ${file}`);

async function measure({ name, transport, frameMs, impair, peers, sfu }) {
  const track = transport === 'track';
  const query = `${impair ? `&impair=${impair}` : ''}${track ? '&transport=track' : ''}`;
  const band = await openBand(browser, { url: stack.url, players: peers, name: 'Bench', query });
  try {
    if (sfu) {
      await forceRoomMode({
        relayHttpUrl: stack.relayUrl.replace(/^ws/, 'http').replace(/\/signal$/, ''),
        secretFile: join(stack.dataDir, 'bandmesh-ticket.secret'),
        studio: band.studioId,
        mode: 'sfu',
        players: peers,
      });
    }
    return await measureIn(band.pages, { name, transport, frameMs, peers, sfu });
  } finally {
    await band.close();
  }
}

async function measureIn(pages, { name, transport, frameMs, peers, sfu = false }) {
  const track = transport === 'track';
  const settings = {
    codec: track ? 'opus' : transport,
    transport: track ? 'track' : 'auto',
    frameMs,
    channels: 1,
    bitrate: 96_000,
    fec: true, // the app's default: each Opus frame carries the previous one
    voiceProcessing: false,
  };
  for (const page of pages) await page.evaluate((s) => window.__bandmesh.start(s), settings);
  // Wait for every pair to carry audio (frames on the data path, a playing track on the track path),
  // then let the jitter buffers settle.
  for (const page of pages) {
    await page.waitForFunction(
      (n) =>
        window.__bandmesh
          .diagnostics()
          .filter((d) =>
            d.path === 'track' ? d.receiving : d.framesReceived > 0 && (!n.sfu || d.sfuFrames > 0),
          ).length === n.others,
      { others: peers - 1, sfu },
      { timeout: 30_000 },
    );
  }
  await sleep(warmup * 1000);
  const before = await Promise.all(pages.map((p) => p.evaluate(() => window.__bandmesh.diagnostics())));
  await Promise.all(
    pages.map((p) =>
      p.evaluate(() => {
        window.__bandmesh.impulses.length = 0;
        window.__bandmesh.stages.length = 0;
      }),
    ),
  );
  const cpu0 = browserPid ? treeCpuSeconds(browserPid) : 0;
  const t0 = Date.now();
  // Each stream reports the longest gap of its last completed second: poll well within a second.
  const polls = pages.map(() => []);
  for (let left = seconds * 1000; left > 0; left = t0 + seconds * 1000 - Date.now()) {
    await sleep(Math.min(GAP_POLL_MS, left));
    const now = await Promise.all(pages.map((p) => p.evaluate(() => window.__bandmesh.diagnostics())));
    now.forEach((diagnostics, i) => polls[i].push(...diagnostics));
  }
  const wall = (Date.now() - t0) / 1000;
  const cpuPct = browserPid ? ((treeCpuSeconds(browserPid) - cpu0) / wall) * 100 : Number.NaN;
  const snapshots = await Promise.all(
    pages.map((p) =>
      p.evaluate(() => ({
        peerId: window.__bandmesh.peerId,
        impulses: window.__bandmesh.impulses.slice(),
        stages: window.__bandmesh.stages.slice(),
        device: window.__bandmesh.deviceLatencyMs(),
        diagnostics: window.__bandmesh.diagnostics(),
      })),
    ),
  );
  const latencies = [];
  /** The same clicks graph to graph: without the receiver's output latency (see the top comment). */
  const graphLatencies = [];
  // Where the time goes, per click: capture worklet → our Worker encodes it → the receiver's Worker
  // decoded it → it left the receiver's jitter buffer.
  const legs = { captureToWorker: [], workerToWorker: [], workerToOutput: [] };
  for (const receiver of snapshots) {
    for (const sender of snapshots) {
      if (sender === receiver) continue;
      const sent = sender.impulses.filter((i) => !i.peerId);
      const heard = receiver.impulses.filter((i) => i.peerId === sender.peerId);
      const matched = matchLatencies(sent, heard);
      latencies.push(...matched);
      const outputMs = receiver.device ? receiver.device.output || receiver.device.base : 0;
      graphLatencies.push(...matched.map((ms) => ms - outputMs));
      const encoded = sender.stages.filter((s) => s.stage === 'sent');
      const decoded = receiver.stages.filter((s) => s.stage === 'received' && s.peerId === sender.peerId);
      legs.captureToWorker.push(...matchLatencies(sent, encoded, 100));
      legs.workerToWorker.push(...matchLatencies(encoded, decoded, 100));
      legs.workerToOutput.push(...matchLatencies(decoded, heard, 200));
    }
  }
  const streams = peers * (peers - 1);
  /** A per-stream counter's growth over the window, summed over streams, per stream and minute. */
  const perStreamMinute = (key) => {
    let total = 0;
    snapshots.forEach((s, i) => {
      for (const d of s.diagnostics)
        total += d[key] - (before[i].find((b) => b.peerId === d.peerId)?.[key] ?? 0);
    });
    return round(total / streams / (wall / 60));
  };
  // Concealed gaps, per stream (receiver page i, sender d.peerId), over the window.
  let maxConcealedGapMs = 0;
  let gapSeconds = Infinity;
  let gapSecondsMissed = 0;
  snapshots.forEach((s, i) => {
    for (const d of s.diagnostics) {
      const open = before[i].find((b) => b.peerId === d.peerId);
      if (!open) continue;
      const mine = [...polls[i], ...s.diagnostics].filter((p) => p.peerId === d.peerId);
      const gap = windowLongestGap(open.gapSecond, mine);
      maxConcealedGapMs = Math.max(maxConcealedGapMs, gap.longestMs);
      gapSeconds = Math.min(gapSeconds, gap.seconds);
      gapSecondsMissed += gap.missedSeconds;
    }
  });
  return {
    transport: name,
    frameMs,
    peers,
    graphP50Ms: round(percentile(graphLatencies, 50)),
    graphP95Ms: round(percentile(graphLatencies, 95)),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    maxMs: round(latencies.length ? Math.max(...latencies) : Number.NaN),
    // The track path's audio skips our jitter buffers: their underrun counters say nothing about it.
    underrunsPerMin: track ? null : perStreamMinute('underruns'),
    cpuPct: round(cpuPct),
    samples: latencies.length,
    expectedSamples: Math.floor((wall * 1000) / PERIOD_MS) * streams,
    maxConcealedGapMs: track ? null : round(maxConcealedGapMs),
    gapsOver20msPerMin: track ? null : perStreamMinute('gapsOver20ms'),
    gapSeconds: track || !Number.isFinite(gapSeconds) ? null : gapSeconds,
    gapSecondsMissed: track ? null : gapSecondsMissed,
    // Where the latency goes: the receivers' jitter-buffer depth (playout delay above the fastest
    // recent packet), median over the window's polls and streams.
    jbDepthMs: track ? null : medianOf(polls, (d) => d.depthMs),
    // Frames the jitter buffers dropped to catch up (playout far too deep), per stream and minute.
    skipsPerMin: track ? null : perStreamMinute('skips'),
    // …and the audio channel's round trip Worker ⇄ Worker (half of it is the network leg).
    rttMs: track ? null : medianOf(polls, (d) => d.rttMs),
    // Per stream (receiver ← sender), every poll's [jitter-buffer depth, its target, audio buffered] ms.
    depthTraces: track
      ? null
      : snapshots.flatMap((s, i) =>
          s.diagnostics.map((d) => ({
            stream: `${s.peerId.slice(0, 6)}←${d.peerId.slice(0, 6)}`,
            polls: polls[i]
              .filter((p) => p.peerId === d.peerId)
              .map((p) => [round(p.depthMs), round(p.targetMs), round(p.bufferedMs)]),
          })),
        ),
    legsMs: track
      ? null
      : Object.fromEntries(Object.entries(legs).map(([leg, v]) => [leg, round(percentile(v, 50))])),
  };
}

function printTable(rows) {
  console.log(
    '\n| transport | frame ms | peers | graph p50 ms | graph p95 ms | speaker p50 ms | speaker p95 ms | max ms | underruns/min/stream | max concealed gap ms | gaps > 20 ms/min/stream | jitter buffer ms | RTT ms | browser CPU % | samples |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.failed) {
      console.log(`| ${r.transport} | ${r.frameMs} | ${r.peers} | failed: ${r.failed} |||||||||||| |`);
      continue;
    }
    // A gap measure with seconds no poll saw may have missed a gap: say so.
    const gap = `${fmt(r.maxConcealedGapMs)}${r.gapSecondsMissed ? ` (${r.gapSecondsMissed} s unseen)` : ''}`;
    console.log(
      `| ${r.transport} | ${r.frameMs} | ${r.peers} | ${fmt(r.graphP50Ms)} | ${fmt(r.graphP95Ms)} | ${fmt(r.p50Ms)} | ${fmt(r.p95Ms)} | ${fmt(r.maxMs)} | ${fmt(r.underrunsPerMin)} | ${gap} | ${fmt(r.gapsOver20msPerMin)} | ${fmt(r.jbDepthMs)} | ${fmt(r.rttMs)} | ${fmt(r.cpuPct)} | ${r.samples}/${r.expectedSamples} |`,
    );
  }
}

/** Median of a per-stream diagnostic over every poll of every receiver (nulls left out). */
function medianOf(polls, pick) {
  const values = polls
    .flat()
    .map(pick)
    .filter((v) => typeof v === 'number' && Number.isFinite(v));
  return round(percentile(values, 50));
}

function printLegs(rows) {
  console.log(
    '\n| transport | peers | capture → Worker | Worker → Worker | Worker → output (medians, ms) | catch-up skips/min/stream |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    if (!r.legsMs) continue;
    const l = r.legsMs;
    console.log(
      `| ${r.transport} | ${r.peers} | ${fmt(l.captureToWorker)} | ${fmt(l.workerToWorker)} | ${fmt(l.workerToOutput)} | ${fmt(r.skipsPerMin)} |`,
    );
  }
}

function round(x) {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}
function fmt(x) {
  return x === null || x === undefined ? '—' : String(x);
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
