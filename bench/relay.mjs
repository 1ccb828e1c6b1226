/**
 * `npm run bench:relay`: the relay's SFU under synthetic players — its CPU and event-loop use, the
 * one-way latency it adds, frame loss and bandwidth, for rooms of 6, 12, 24 and 48 players.
 *
 * Per row: a fresh relay process (relay/dist, the real signaling and SFU) on a free loopback port with
 * mesh limit 1 (every room of two or more is on the SFU) and room limit 64; one room of N players,
 * split over --procs child processes (bench/lib/relay-worker.mjs). Each player is what a browser is
 * to the relay: a signaling WebSocket subscribed with its own minted ticket, one node-datachannel
 * PeerConnection to the SFU negotiated with `sfu-signal` (the player offers; channel id 0
 * pre-negotiated, unordered, no retransmits), and a sealed-frame shaped frame of 97 bytes (16 B
 * header + 60 B payload + 21 B seal overhead) every --frame-ms (2.5 ms), on a steady schedule with
 * bounded catch-up, from when every player is connected (then --warmup seconds before the window).
 * Each frame carries its send time on the machine's monotonic clock; receivers
 * unpack the relay's bundles and record arrival − send per frame.
 *
 * Added latency: in the same processes and at the same time, --direct-pairs pairs of node-datachannel
 * peers per process send the same frames on the same schedule to each other directly; the SFU's
 * p50/p99 minus theirs is what the relay adds (the harness's own delays largely cancel out; at p99
 * less so).
 *
 * Relay CPU is utime + stime of the relay process (all its threads: Node and libdatachannel) over the
 * window, in % of one core; `elu` is the mean of the relay's `GET /load` `elu` over the window, or null
 * when the relay does not answer it. Loss counts frames sent in the window (by send stamp) that a
 * receiver never got, over all sender → receiver streams. The harness shares the machine with the
 * relay: its CPU, its senders' lateness and the whole machine's load are in each row.
 *
 * Options: --players 6,12,24,48 --seconds 10 (measured per row) --warmup 3 --procs auto (or a count)
 * --direct-pairs 1 (per process) --frame-ms 2.5 --cpu-prof (profiles of the relay per row into
 * bench/results/relay-prof-<timestamp>/), --relay <main.js> (a relay built elsewhere; default: relay/dist,
 * built first when stale), --nice=N (for a machine busy with other work, needs root: this session's
 * autogroup, the relay and the players run at nice N; write --nice=-10, not --nice -10).
 * Writes bench/results/relay-<timestamp>.json ({ machine, options, rows }) and prints a table.
 */
import { machineInfo } from './lib/machine.mjs';
import { fork } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority } from 'node:os';
import { parseArgs } from 'node:util';
import { ensureRelayBuild } from '../scripts/lib/setup.mjs';
import { at } from '../scripts/lib/paths.mjs';
import { LatencyHistogram, nowUs } from './lib/relay-frames.mjs';
import { summariseProfiles } from './lib/relay-profile.mjs';
import {
  RELAY_ENTRY,
  machineTicks,
  processCpuSeconds,
  startBenchRelay,
  threadCpuSeconds,
} from './lib/relay-server.mjs';
import { mintTicket, recordId } from './lib/relay-tickets.mjs';

const ROOM_LIMIT = 64;
/** Frames in flight when the window closes still count if they arrive within this. */
const DRAIN_MS = 500;
const WORKER = at('bench', 'lib', 'relay-worker.mjs');

const { values } = parseArgs({
  options: {
    players: { type: 'string', default: '6,12,24,48' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    procs: { type: 'string', default: 'auto' },
    'direct-pairs': { type: 'string', default: '1' },
    'frame-ms': { type: 'string', default: '2.5' },
    'cpu-prof': { type: 'boolean', default: false },
    relay: { type: 'string' },
    nice: { type: 'string', default: '0' },
  },
});
const clamp = (value, min, max, fallback) => {
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};
const playerCounts = values.players
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 2 && n <= ROOM_LIMIT);
// SeqSeen (bench/lib/relay-frames.mjs) tells 2^16 frames apart: 164 s at 2.5 ms, warm-up included.
const seconds = clamp(values.seconds, 2, 120, 10);
const warmup = clamp(values.warmup, 1, 30, 3);
/**
 * Player processes per row. `auto`: one per 24 players. Measured here (2 cores): one process drives 24
 * players at 86 % of a core with its senders ≤ 3.3 ms late at p99 and none skipped; a second process
 * for 24 only added runnable threads next to the relay (its ELU went from 0.52 to 0.92 at the same
 * CPU). 48 players need two (one would need ~3.5 cores).
 */
const procs = values.procs === 'auto' ? 'auto' : Math.round(clamp(values.procs, 1, 8, 1));
const procsFor = (players) => (procs === 'auto' ? Math.ceil(players / 24) : procs);
const directPairs = Math.round(clamp(values['direct-pairs'], 0, 8, 1));
const frameMs = [2.5, 5, 10].includes(Number(values['frame-ms'])) ? Number(values['frame-ms']) : 2.5;
// --nice: the relay's and the players' scheduling priority (they inherit this process's) for a
// machine busy with other work; recorded in the results. Negative values need root. With the kernel's
// autogroup scheduling, nice only ranks threads of one session against each other, so this session's
// autogroup gets the same nice for the run (and its old one back at exit). The players stay at the
// relay's priority: below it, their own delays (sending late, reading late) swamped the relay's on a
// busy machine, and the direct baseline no longer matched the SFU path's conditions.
const nice = Math.round(clamp(values.nice, -20, 19, 0));
if (playerCounts.length === 0) {
  console.error('--players needs a comma-separated list of room sizes from 2 to 64.');
  process.exit(2);
}

// --relay: a relay built elsewhere (e.g. another tree's relay/dist/relay/src/main.js); else relay/dist.
const relayEntry = values.relay ?? RELAY_ENTRY;
if (values.relay === undefined) await ensureRelayBuild();
/** The relay and workers running now: stopped on Ctrl-C too, so none outlives the bench. */
const live = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the relay and the players…`);
    const deadline = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
    void Promise.race([Promise.all([...live].map((owned) => owned.stop())), deadline]).then(() =>
      process.exit(130),
    );
  });
}
// After the build: only the measured processes run at --nice.
const autogroup = nice !== 0 ? raisePriority(nice) : null;
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(at('bench', 'results'), { recursive: true });
const profDir = values['cpu-prof'] ? at('bench', 'results', `relay-prof-${stamp}`) : null;
const secret = randomBytes(24).toString('hex');
const machine = machineInfo({
  nodeDatachannel: JSON.parse(readFileSync(at('node_modules', 'node-datachannel', 'package.json'), 'utf8'))
    .version,
  loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
});

/**
 * Sets this process's nice and, when the kernel schedules by autogroup, its session's; the old
 * autogroup nice comes back when this process exits. Returns the autogroup's setting or null.
 */
function raisePriority(value) {
  try {
    setPriority(value);
  } catch (error) {
    console.error(`--nice ${value}: cannot set this process's priority (${error.code ?? error.message}).`);
    process.exit(2);
  }
  const file = '/proc/self/autogroup';
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return null;
    const before = Number(/nice (-?\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
    writeFileSync(file, String(value));
    process.once('exit', () => {
      try {
        writeFileSync(file, String(before));
      } catch {
        // nothing left to do at exit
      }
    });
    return { nice: value, before };
  } catch (error) {
    console.warn(
      `--nice ${value}: the session's autogroup keeps its priority (${error.code ?? error.message}).`,
    );
    return null;
  }
}

async function measureRow(players) {
  const relay = await startBenchRelay({
    entry: relayEntry,
    secret,
    roomLimit: ROOM_LIMIT,
    cpuProfDir: profDir ? `${profDir}/players-${players}` : null,
  });
  live.add(relay);
  /** @type {Worker[]} */
  const workers = [];
  try {
    const studio = recordId();
    const topic = `studio/${studio}`;
    const specs = Array.from({ length: players }, (_, index) => ({
      index,
      clientId: randomInt(1, 2 ** 32 - 1),
      ticket: mintTicket(secret, { studio, name: `Bench ${index}`, maxPlayers: players }),
    }));
    const count = Math.min(procsFor(players), players);
    for (let w = 0; w < count; w++) {
      const worker = new Worker();
      workers.push(worker);
      live.add(worker);
    }
    const joinTimeoutMs = 20_000 + 500 * players;
    const ready = await Promise.all(
      workers.map((worker, w) =>
        worker.request(
          {
            type: 'setup',
            wsUrl: relay.wsUrl,
            topic,
            frameMs,
            players: specs.filter((_, i) => i % count === w),
            directPairs,
            // Direct peers' bench indexes stay clear of the players' (≤ 64).
            directBase: 1000 + w * 2 * directPairs,
            joinTimeoutMs,
          },
          'ready',
          joinTimeoutMs * 2,
        ),
      ),
    );
    const joined = ready.flatMap((r) => r.players);
    const sourceIndexes = joined.filter((p) => p.sourceIndex !== null).length;
    // Connections to the SFU the relay reported failed before they opened, each retried (as the app does).
    const joinRetries = {
      count: joined.reduce((a, p) => a + p.retries, 0),
      reasons: joined.flatMap((p) => p.retryReasons).slice(0, 3),
      libraryLog: joined.some((p) => p.retries > 0) ? ready.flatMap((r) => r.libraryLog).slice(-6) : [],
    };

    const startUs = nowUs() + warmup * 1e6;
    const endUs = startUs + seconds * 1e6;
    const results = Promise.all(
      workers.map((worker) =>
        worker.request(
          { type: 'window', startUs, endUs, drainMs: DRAIN_MS },
          'result',
          (warmup + seconds) * 1000 + DRAIN_MS + 30_000,
        ),
      ),
    );
    // Awaited after the window; a worker failing before that must not be an unhandled rejection.
    results.catch(() => undefined);
    // Relay and machine readings at the window's edges; /load polled once a second inside it.
    await sleepUntil(startUs);
    const relayCpu0 = processCpuSeconds(relay.pid);
    const relayThreads0 = threadCpuSeconds(relay.pid);
    const machine0 = machineTicks();
    const workerCpu0 = workers.map((w) => processCpuSeconds(w.pid));
    const load0 = await relay.load();
    const loads = [];
    while (nowUs() + 1e6 < endUs) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const load = await relay.load();
      if (load) loads.push(load);
    }
    await sleepUntil(endUs);
    const relayCpu1 = processCpuSeconds(relay.pid);
    const playersNice = threadCpuSeconds(workers[0].pid)?.nice ?? null;
    const relayThreads1 = threadCpuSeconds(relay.pid);
    const machine1 = machineTicks();
    const workerCpu1 = workers.map((w) => processCpuSeconds(w.pid));
    const load1 = await relay.load();
    if (!relay.alive) throw new Error(`the relay exited during the window:\n${relay.output()}`);
    const reports = await results;

    const windowSeconds = (endUs - startUs) / 1e6;
    const pct = (a, b) => (a === null || b === null ? null : ((b - a) / windowSeconds) * 100);
    const harnessCpuPct = workers.map((_, i) => pct(workerCpu0[i], workerCpu1[i]));
    const relayCpuPct = pct(relayCpu0, relayCpu1);
    const machineBusyPct =
      ((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 100 * machine.cores;
    const elus = loads.map((l) => l.elu).filter((x) => typeof x === 'number');

    const sfu = summarise(
      reports.map((r) => r.sfu),
      windowSeconds,
    );
    const direct = summarise(
      reports.map((r) => r.direct),
      windowSeconds,
    );
    const late = new LatencyHistogram();
    for (const r of reports) late.merge(r.senderLateUs);
    const sum = (xs) => xs.reduce((a, b) => a + b, 0);
    return {
      players,
      frameMs,
      seconds: windowSeconds,
      relayCpuPct: round(relayCpuPct, 1),
      elu: elus.length > 0 ? round(sum(elus) / elus.length, 3) : null,
      addedP50Ms: round(sfu.p50Ms - direct.p50Ms, 3),
      addedP99Ms: round(sfu.p99Ms - direct.p99Ms, 3),
      lossPct: sfu.lossPct,
      bytesPerSecondPerPlayer: sfu.bytesPerSecondPerPlayer,
      sfu: { ...sfu, bytesPerSecondPerPlayer: undefined },
      direct: { ...direct, bytesPerSecondPerPlayer: undefined },
      sourceIndexesSeen: sourceIndexes,
      joinRetries,
      relayThreadsCpuPct: threadDeltas(relayThreads0, relayThreads1, windowSeconds),
      relayNice: relayThreads1?.nice ?? null,
      playersNice,
      relayCounters: counterDeltas(load0, load1, windowSeconds),
      relayLoad: load1 ?? loads.at(-1) ?? null,
      harness: {
        procs: workers.length,
        cpuPctPerProc: harnessCpuPct.map((x) => round(x, 1)),
        senderLateP50Ms: round(late.percentileMs(50), 3),
        senderLateP99Ms: round(late.percentileMs(99), 3),
      },
      // Everything the machine ran in the window, in % of one core (the relay and the harness included).
      machineBusyPct: round(machineBusyPct, 1),
      othersCpuPct: round(machineBusyPct - (relayCpuPct ?? 0) - sum(harnessCpuPct.map((x) => x ?? 0)), 1),
    };
  } catch (error) {
    // What the relay said about it (its warnings and errors: structured, nothing personal).
    const said = relay
      .output()
      .split('\n')
      .filter((line) => /"level":"(warn|error)"|^[^{]/.test(line))
      .slice(-12);
    if (error instanceof Error) error.relayLog = said;
    throw error;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await relay.stop();
    for (const owned of [relay, ...workers]) live.delete(owned);
  }
}

/** The relay's CPU per thread name over the window, % of one core, busiest first (≥ 0.5 %). */
function threadDeltas(before, after, windowSeconds) {
  if (!before || !after) return null;
  return Object.fromEntries(
    Object.entries(after.byName)
      .map(([name, s]) => [name, round(((s - (before.byName[name] ?? 0)) / windowSeconds) * 100, 1)])
      .filter(([, pct]) => pct >= 0.5)
      .sort((a, b) => b[1] - a[1]),
  );
}

/**
 * What the relay's own counters in `/load` (forwarded frames, drops by reason) say about the window,
 * per second; null when the relay reports none.
 */
function counterDeltas(before, after, windowSeconds) {
  if (!before || !after || typeof after.forwarded !== 'number') return null;
  const dropped = {};
  for (const [reason, n] of Object.entries(after.dropped ?? {})) {
    const delta = n - (before.dropped?.[reason] ?? 0);
    if (delta !== 0) dropped[reason] = delta;
  }
  return {
    forwardedPerSecond: Math.round((after.forwarded - (before.forwarded ?? 0)) / windowSeconds),
    dropped,
  };
}

/** One path's receivers and senders of all processes: latency, loss, bundles and bytes. */
function summarise(parts, windowSeconds) {
  const histogram = new LatencyHistogram();
  const players = [];
  for (const part of parts) {
    histogram.merge(part.histogram);
    players.push(...part.players);
  }
  const sentBy = new Map(players.map((p) => [String(p.index), p.sent]));
  const pairOf = (index) => (index >= 1000 ? String(index ^ 1) : null);
  let expected = 0;
  let received = 0;
  let worstStreamLoss = 0;
  let duplicates = 0;
  let misattributed = 0;
  let foreign = 0;
  let malformedBundles = 0;
  let bundles = 0;
  let bundledFrames = 0;
  let skipped = 0;
  let sendFailures = 0;
  for (const p of players) {
    // A direct peer hears its pair's other peer; an SFU player hears everyone else in the room.
    const senders =
      pairOf(p.index) !== null
        ? [pairOf(p.index)]
        : players.filter((q) => q.index !== p.index).map((q) => String(q.index));
    for (const s of senders) {
      const want = sentBy.get(s) ?? 0;
      const got = Math.min(want, p.received.fromSender[s] ?? 0);
      expected += want;
      received += got;
      if (want > 0) worstStreamLoss = Math.max(worstStreamLoss, 1 - got / want);
    }
    duplicates += p.received.duplicates;
    misattributed += p.received.misattributed;
    foreign += p.received.foreign;
    malformedBundles += p.received.malformedBundles;
    bundles += p.received.bundles;
    bundledFrames += p.received.bundledFrames;
    skipped += p.skipped;
    sendFailures += p.sendFailures;
  }
  const n = Math.max(1, players.length);
  const perPlayer = (key) => Math.round(players.reduce((a, p) => a + p[key], 0) / n / windowSeconds);
  return {
    p50Ms: round(histogram.percentileMs(50), 3),
    p99Ms: round(histogram.percentileMs(99), 3),
    maxMs: round(histogram.maxUs / 1000, 3),
    samples: histogram.count,
    clockErrors: histogram.negative,
    framesExpected: expected,
    framesReceived: received,
    lossPct: expected > 0 ? round((1 - received / expected) * 100, 4) : null,
    worstStreamLossPct: round(worstStreamLoss * 100, 3),
    duplicates,
    misattributed,
    foreign,
    malformedBundles,
    bundlesPerSecondPerPlayer: Math.round(bundles / n / windowSeconds),
    framesPerBundle: bundles > 0 ? round(bundledFrames / bundles, 2) : null,
    senderSkippedFrames: skipped,
    sendFailures,
    bytesPerSecondPerPlayer: {
      up: perPlayer('sentBytes'),
      down: Math.round(players.reduce((a, p) => a + p.received.bytesInWindow, 0) / n / windowSeconds),
      // libdatachannel's own counters for the whole connection (SCTP/DTLS framing included).
      transportUp: perPlayer('transportSent'),
      transportDown: perPlayer('transportReceived'),
    },
  };
}

/** One child process (bench/lib/relay-worker.mjs) and its IPC. */
class Worker {
  constructor() {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.pid = this.child.pid;
    this.waiters = new Set();
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.on('message', (message) => {
      for (const waiter of [...this.waiters]) waiter(message);
    });
    void this.exited.then((code) => {
      for (const waiter of [...this.waiters]) waiter({ type: 'exited', code });
    });
    this.stopping = null;
  }

  /** Sends `message` and resolves with the first reply of type `expect` (rejects on failure/timeout). */
  request(message, expect, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`worker ${this.pid}: no "${expect}" within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const waiter = (reply) => {
        if (reply.type !== expect && reply.type !== 'failed' && reply.type !== 'exited') return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (reply.type === expect) resolve(reply);
        else if (reply.type === 'failed') reject(new Error(reply.message));
        else reject(new Error(`worker ${this.pid} exited (${reply.code})`));
      };
      this.waiters.add(waiter);
      this.child.send(message);
    });
  }

  stop() {
    this.stopping ??= (async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        try {
          this.child.send({ type: 'stop' });
        } catch {
          // the channel is already closed
        }
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }
}

function sleepUntil(us) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, (us - nowUs()) / 1000)));
}

function round(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(x, digits = 2) {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

/** A latency: the histogram ends at 2 s, so its last bin reads as "at least". */
function fmtMs(x) {
  return x !== null && x >= 2000 ? '≥ 2000' : fmt(x);
}

function printTable(results) {
  console.log(
    '\n| players | frame ms | relay CPU % of a core | ELU | SFU p50 / p99 ms | direct p50 / p99 ms | added p50 / p99 ms | loss % | up / down B/s per player | frames per bundle | harness CPU % (per process) | machine busy % |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.failed) {
      console.log(`| ${r.players} | ${r.frameMs} | failed: ${r.failed} |||||||||||`);
      continue;
    }
    console.log(
      `| ${r.players} | ${r.frameMs} | ${fmt(r.relayCpuPct, 0)} | ${fmt(r.elu, 2)} | ${fmtMs(r.sfu.p50Ms)} / ${fmtMs(
        r.sfu.p99Ms,
      )} | ${fmtMs(r.direct.p50Ms)} / ${fmtMs(r.direct.p99Ms)} | ${fmt(r.addedP50Ms)} / ${fmt(r.addedP99Ms)} | ${fmt(
        r.lossPct,
        3,
      )} | ${r.bytesPerSecondPerPlayer.up} / ${r.bytesPerSecondPerPlayer.down} | ${fmt(r.sfu.framesPerBundle, 1)} | ${r.harness.cpuPctPerProc
        .map((x) => fmt(x, 0))
        .join(' + ')} | ${fmt(r.machineBusyPct, 0)} |`,
    );
  }
}

async function main() {
  const rows = [];
  for (const players of playerCounts) {
    process.stdout.write(`measuring ${players} players, ${frameMs} ms frames, ${seconds} s… `);
    try {
      const row = await measureRow(players);
      // The relay has exited by now, so its profile is on disk.
      if (profDir) row.relayProfile = summariseProfiles(`${profDir}/players-${players}`);
      rows.push(row);
      console.log(
        `relay ${fmt(row.relayCpuPct, 0)} % of a core, added p50 ${fmt(row.addedP50Ms)} / p99 ${fmt(
          row.addedP99Ms,
        )} ms, loss ${fmt(row.lossPct, 3)} %`,
      );
    } catch (error) {
      // One row that cannot run (e.g. the machine cannot carry it) must not lose the others.
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      rows.push({ players, frameMs, failed: reason, relayLog: error?.relayLog ?? [] });
      console.log(`failed: ${reason}`);
      for (const line of error?.relayLog ?? []) console.log(`  relay: ${line}`);
    }
  }

  const file = at('bench', 'results', `relay-${stamp}.json`);
  const options = {
    relay: values.relay ?? null,
    nice,
    autogroupNice: autogroup?.nice ?? null,
    players: playerCounts,
    seconds,
    warmup,
    procs,
    directPairs,
    frameMs,
    cpuProfile: profDir,
  };
  writeFileSync(file, JSON.stringify({ machine, options, rows }, null, 2));
  printTable(rows);
  console.log(
    `\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `node-datachannel ${machine.nodeDatachannel}, load average at start ${machine.loadAverageAtStart.join(' ')}`,
  );
  if (profDir) {
    console.log(`\nrelay CPU profiles (${profDir}): JS self time, % of busy samples`);
    for (const row of rows) {
      if (!row.relayProfile) continue;
      const { busyMs, idleMs, functions } = row.relayProfile;
      console.log(`  ${row.players} players (busy ${busyMs} ms, idle ${idleMs} ms, whole run):`);
      for (const { fn, pct } of functions.slice(0, 5)) console.log(`    ${pct.toFixed(1)} % ${fn}`);
    }
  }
  console.log(`written: ${file}`);
}

// Last: the classes and helpers above are initialised by now.
await main();
