/**
 * `npm run bench:crypto`: what end-to-end encryption of SFU frames costs per frame
 * (`src/lib/protocol/sealed-frame.ts`, ChaCha20-Poly1305 from @noble/ciphers, as the audio Worker runs
 * it), in Node on this machine, one thread: µs per seal and per open (median and p99 over timed
 * single frames, wall clock: p99 includes preemption on a busy machine), and frames sealed + opened
 * per CPU second of one core (an untimed loop, process CPU time, so other load does not count).
 *
 * Payloads: 2.5 ms Opus at 40 and 80 bytes (the latter ≈ a frame with its redundant copy) and 2.5 ms
 * stereo PCM (480 bytes). `api`: `alloc` = seal()/open() (a new array per frame), `into` =
 * sealInto()/openInto() into reused buffers. Also the one-off cost of a pairwise key (X25519 + HKDF),
 * paid once per peer pair per visit.
 *
 * Options: --frames 20000 (timed per row) --warmup 3000.
 * Writes bench/results/crypto-<timestamp>.json ({ machine, options, rows, keyAgreement }) and prints a table.
 */
import { machineInfo } from './lib/machine.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { rolldown } from 'rolldown';
import { at } from '../scripts/lib/paths.mjs';
import { percentile } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { frames: { type: 'string', default: '20000' }, warmup: { type: 'string', default: '3000' } },
});
const options = { frames: Number(values.frames), warmup: Number(values.warmup) };

/** The TypeScript modules as the app bundles them (Node 20 does not run .ts). */
async function load(entry) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-crypto-'));
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

const sealedFrame = await load(['src/lib/protocol/sealed-frame.ts']);
const audioFrame = await load(['src/lib/protocol/audio-frame.ts']);
const { FrameOpener, FrameSealer, SEALED_OVERHEAD_BYTES } = sealedFrame;
const { AUDIO_FRAME_HEADER_BYTES, AudioCodec, writeAudioFrameHeader } = audioFrame;

const random = (n) => crypto.getRandomValues(new Uint8Array(n));

function makeFrame(codec, channels, payloadBytes) {
  const frame = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + payloadBytes);
  writeAudioFrameHeader(frame, { codec, channels, flags: 0, seq: 1, senderTime: 120, frameSamples: 120 });
  frame.set(random(payloadBytes), AUDIO_FRAME_HEADER_BYTES);
  return frame;
}

const cases = [
  { payload: 'opus 2.5 ms', codec: AudioCodec.Opus, channels: 1, payloadBytes: 40 },
  { payload: 'opus 2.5 ms + redundant copy', codec: AudioCodec.Opus, channels: 1, payloadBytes: 80 },
  { payload: 'pcm 2.5 ms stereo', codec: AudioCodec.Pcm16, channels: 2, payloadBytes: 480 },
];

function measure({ payload, codec, channels, payloadBytes }, api) {
  const key = { keyId: 1, key: random(32), salt: random(4) };
  const sealer = new FrameSealer(key);
  const opener = new FrameOpener();
  opener.setKey(key);
  const frame = makeFrame(codec, channels, payloadBytes);
  const sealedBuffer = new Uint8Array(frame.length + SEALED_OVERHEAD_BYTES);
  const openBuffer = new Uint8Array(frame.length);
  const seal =
    api === 'alloc' ? () => sealer.seal(frame) : () => (sealer.sealInto(frame, sealedBuffer), sealedBuffer);
  const open =
    api === 'alloc'
      ? (sealed) => {
          if (!opener.open(sealed).ok) throw new Error('open failed');
        }
      : (sealed) => {
          if (opener.openInto(sealed, openBuffer) !== null) throw new Error('open failed');
        };

  for (let i = 0; i < options.warmup; i++) open(seal());
  const sealUs = [];
  const openUs = [];
  const bothUs = [];
  for (let i = 0; i < options.frames; i++) {
    const t0 = performance.now();
    const sealed = seal();
    const t1 = performance.now();
    open(sealed);
    const t2 = performance.now();
    sealUs.push((t1 - t0) * 1000);
    openUs.push((t2 - t1) * 1000);
    bothUs.push((t2 - t0) * 1000);
  }
  // Throughput without the timer calls in the loop, per CPU second of this process: on a shared
  // machine the wall clock also counts the time other processes had the core.
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < options.frames; i++) open(seal());
  const cpu = process.cpuUsage(cpuStart);
  const wallSeconds = (performance.now() - start) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const r = (x) => Math.round(x * 100) / 100;
  return {
    payload,
    api,
    payloadBytes,
    frameBytes: frame.length,
    sealedBytes: frame.length + SEALED_OVERHEAD_BYTES,
    sealP50Us: r(percentile(sealUs, 50)),
    sealP99Us: r(percentile(sealUs, 99)),
    openP50Us: r(percentile(openUs, 50)),
    openP99Us: r(percentile(openUs, 99)),
    sealOpenP50Us: r(percentile(bothUs, 50)),
    sealOpenP99Us: r(percentile(bothUs, 99)),
    sealOpenPerSecondPerCore: Math.round(options.frames / cpuSeconds),
    /** CPU time / wall time of the throughput loop: below 1, other processes took the core. */
    cpuShare: r(cpuSeconds / wallSeconds),
  };
}

async function keyAgreement() {
  const { x25519 } = await import('@noble/curves/ed25519.js');
  const { hkdf } = await import('@noble/hashes/hkdf.js');
  const { sha256 } = await import('@noble/hashes/sha2.js');
  const ours = random(32);
  const theirs = x25519.getPublicKey(random(32));
  const info = new TextEncoder().encode('bandmesh e2ee v1 pairwise');
  const us = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    hkdf(sha256, x25519.getSharedSecret(ours, theirs), theirs, info, 32);
    us.push((performance.now() - t0) * 1000);
  }
  return { pairwiseKeyP50Us: Math.round(percentile(us.slice(50), 50)) };
}

const load1 = loadavg()[0];
const rows = [];
for (const c of cases) for (const api of ['alloc', 'into']) rows.push(measure(c, api));
const agreement = await keyAgreement();
const machine = machineInfo({
  // The machine may be shared: the load when the run began and ended says how busy it was.
  loadavg1mStart: Math.round(load1 * 100) / 100,
  loadavg1mEnd: Math.round(loadavg()[0] * 100) / 100,
});

console.log(
  '| payload | api | frame → sealed bytes | seal µs p50 / p99 | open µs p50 / p99 | seal+open µs p50 / p99 | seal+open per CPU s | CPU share |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(
    `| ${row.payload} (${row.payloadBytes} B) | ${row.api} | ${row.frameBytes} → ${row.sealedBytes} | ` +
      `${row.sealP50Us} / ${row.sealP99Us} | ${row.openP50Us} / ${row.openP99Us} | ` +
      `${row.sealOpenP50Us} / ${row.sealOpenP99Us} | ${row.sealOpenPerSecondPerCore.toLocaleString('en')} | ${row.cpuShare} |`,
  );
}
console.log(
  `\npairwise key (X25519 + HKDF-SHA256): ${agreement.pairwiseKeyP50Us} µs p50, once per peer pair per visit`,
);
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
    `load ${machine.loadavg1mStart} → ${machine.loadavg1mEnd}`,
);
mkdirSync(at('bench', 'results'), { recursive: true });
const file = at('bench', 'results', `crypto-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, options, rows, keyAgreement: agreement }, null, 2));
console.log(`written: ${file}`);
