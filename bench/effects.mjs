/**
 * `npm run bench:effects -- [--quanta 20000] [--runs 7]`: CPU per input effect per 128-frame quantum
 * (src/lib/worklet/dsp/effects/, as the capture worklet runs them), in Node on this machine, one
 * thread. Each row runs one effect over `--quanta` quanta of a played signal (plucked notes with decay,
 * noise floor between them, so the gate opens and closes and the compressor works), timing every
 * quantum with process.hrtime (its own cost, ~50 ns, is included), `--runs` times. Reported per row:
 * the median over runs of each run's median and p99 µs per quantum, and that median as % of the
 * quantum's real-time budget (128 / 48 000 s = 2.667 ms).
 *
 * Other engineers share this machine: the load average (and `uptime`) before and after the run goes
 * into the JSON, and the p99 column is the one that load moves.
 * Writes docs/bench-runs/effects-<timestamp>.json ({ machine, load, options, rows }) and prints a table.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { rolldown } from 'rolldown';
import { at } from '../scripts/lib/paths.mjs';
import { machineInfo } from './lib/machine.mjs';
import { percentile } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { quanta: { type: 'string', default: '20000' }, runs: { type: 'string', default: '7' } },
});
const options = { quanta: Number(values.quanta), runs: Number(values.runs), sampleRate: 48000, quantum: 128 };
if (!(options.quanta >= 100 && options.runs >= 1)) throw new Error('--quanta ≥ 100, --runs ≥ 1');

/** The TypeScript module as the app bundles it (Node 20 does not run .ts). */
async function load(entry) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-effects-'));
  try {
    const bundle = await rolldown({ input: at(...entry), platform: 'node', logLevel: 'warn' });
    const { output } = await bundle.generate({ format: 'esm' });
    await bundle.close();
    const file = join(dir, 'module.mjs');
    writeFileSync(file, output[0].code);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { EffectChain } = await load(['src/lib/worklet/dsp/effects/effect-chain.ts']);
const { PRESETS, DEFAULT_EFFECTS } = await load(['src/lib/protocol/effects.ts']);
const { sampleRate: SR, quantum: Q } = options;
const BUDGET_US = (Q / SR) * 1e6;

/** One second of "playing": a decaying 110 Hz pluck with harmonics every 0.5 s over a −60 dB noise floor. */
function playedSignal(channel) {
  const x = new Float32Array(SR);
  let seed = 7 + channel;
  for (let i = 0; i < SR; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const t = (i % (SR / 2)) / SR;
    const env = Math.exp(-t * 6);
    const f = 2 * Math.PI * 110 * (i / SR);
    x[i] =
      0.6 * env * (Math.sin(f) + 0.4 * Math.sin(2 * f) + 0.2 * Math.sin(3 * f)) +
      (seed / 0x7fffffff - 0.5) * 0.002;
  }
  return x;
}

const only = (name) => ({
  ...DEFAULT_EFFECTS,
  [name]: { ...PRESETS.voice[name], on: true },
});
const rows = [
  { effect: 'noise gate', settings: only('gate'), path: 'send' },
  { effect: '3-band EQ', settings: only('eq'), path: 'send' },
  { effect: 'compressor', settings: only('compressor'), path: 'send' },
  { effect: 'reverb (monitor)', settings: only('reverb'), path: 'monitor' },
  { effect: 'all bypassed (chain overhead)', settings: DEFAULT_EFFECTS, path: 'send' },
  { effect: 'voice preset: all four', settings: PRESETS.voice, path: 'both' },
];

function runOnce(row, channels) {
  const chain = new EffectChain(SR, Q);
  chain.set(row.settings);
  const src = [playedSignal(0), playedSignal(1)];
  const a = new Float32Array(Q);
  const b = new Float32Array(Q);
  const l = new Float32Array(Q);
  const r = new Float32Array(Q);
  const times = new Float64Array(options.quanta);
  const fade = 20; // the 10 ms bypass crossfades are over before timing starts
  for (let q = -fade; q < options.quanta; q++) {
    const at0 = (((q + fade) * Q) % (SR - Q)) | 0;
    for (let i = 0; i < Q; i++) a[i] = src[0][at0 + i];
    if (channels === 2) for (let i = 0; i < Q; i++) b[i] = src[1][at0 + i];
    const bb = channels === 2 ? b : null;
    const t0 = process.hrtime.bigint();
    if (row.path !== 'monitor') chain.processSend(a, bb, Q);
    if (row.path !== 'send' && chain.reverbActive) chain.renderMonitorReverb(a, bb, Q, l, r);
    const t1 = process.hrtime.bigint();
    if (q >= 0) times[q] = Number(t1 - t0) / 1000;
  }
  const list = Array.from(times);
  return { median: percentile(list, 50), p99: percentile(list, 99) };
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const machineLoad = { before: { loadavg: loadavg(), uptime: uptime() } };
const results = [];
for (const row of rows) {
  for (const channels of [1, 2]) {
    const runs = [];
    for (let k = 0; k < options.runs; k++) runs.push(runOnce(row, channels));
    const median = percentile(
      runs.map((x) => x.median),
      50,
    );
    const p99 = percentile(
      runs.map((x) => x.p99),
      50,
    );
    results.push({
      effect: row.effect,
      path: row.path,
      channels,
      medianUs: Number(median.toFixed(2)),
      p99Us: Number(p99.toFixed(2)),
      budgetPercent: Number(((median / BUDGET_US) * 100).toFixed(3)),
      runs,
    });
  }
}
machineLoad.after = { loadavg: loadavg(), uptime: uptime() };

const machine = machineInfo();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(at('docs', 'bench-runs'), { recursive: true });
const file = at('docs', 'bench-runs', `effects-${stamp}.json`);
writeFileSync(
  file,
  JSON.stringify({ machine, load: machineLoad, options, budgetUs: BUDGET_US, rows: results }, null, 2) + '\n',
);

console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}`);
console.log(`load before: ${machineLoad.before.uptime}\nload after:  ${machineLoad.after.uptime}`);
console.log('effect                           ch  median µs  p99 µs  % of 2.667 ms');
for (const r of results) {
  console.log(
    `${r.effect.padEnd(32)} ${String(r.channels).padStart(2)}  ${r.medianUs.toFixed(2).padStart(9)}  ${r.p99Us
      .toFixed(2)
      .padStart(6)}  ${r.budgetPercent.toFixed(3).padStart(6)}`,
  );
}
console.log(`wrote ${file}`);
