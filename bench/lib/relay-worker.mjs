/**
 * A child process of `bench:relay` (forked by bench/relay.mjs; IPC messages only): drives its share
 * of one room's synthetic players plus its direct pairs, all on one send scheduler, and reports what
 * they measured.
 *
 * Protocol (parent → child → parent):
 *   setup {wsUrl, topic, frameMs, players: [{index, ticket, clientId}], directPairs, directBase,
 *          joinTimeoutMs}            → ready {players: [{index, peerId, sourceIndex}]} | failed {message}
 *   window {startUs, endUs, drainMs} → frames start (the warm-up runs until startUs); result {...}
 *                                      after endUs + drainMs
 *   stop                             → the child disposes everything and exits
 * The child also exits by itself when the parent goes away or after {@link LIFETIME_MS}.
 */
import nodeDataChannel from 'node-datachannel';
import { DirectPair } from './relay-direct-pair.mjs';
import { LatencyHistogram, nowUs } from './relay-frames.mjs';
import { SfuPlayer } from './relay-sfu-player.mjs';

/** Hard bound on a child's life: longer than any row the parent allows. */
const LIFETIME_MS = 10 * 60_000;
/** Players joining at once (each opens a socket and negotiates a connection). */
const JOIN_CONCURRENCY = 6;
/** A sender more than this many frames behind skips the rest (counted): catch-up stays bounded. */
const MAX_CATCH_UP_FRAMES = 8;

/** libdatachannel's own warnings, the newest few: they say why a connection failed. */
const libraryLog = [];
nodeDataChannel.initLogger('Warning', (level, message) => {
  libraryLog.push(`${level}: ${message}`);
  if (libraryLog.length > 12) libraryLog.shift();
});

const sfuHistogram = new LatencyHistogram();
const directHistogram = new LatencyHistogram();
/** @type {SfuPlayer[]} */
const players = [];
/** @type {DirectPair[]} */
const pairs = [];
let scheduler = null;
let frameMsOfRoom = 2.5;
let stopped = false;

const send = (message) => {
  if (process.connected) process.send(message);
};

const lifetime = setTimeout(() => shutdown(3), LIFETIME_MS);
process.on('disconnect', () => shutdown(0));
process.on('message', (message) => {
  handle(message).catch((error) => {
    const text = error instanceof Error ? error.message : String(error);
    send({
      type: 'failed',
      message: libraryLog.length > 0 ? `${text} [libdatachannel: ${libraryLog.join(' | ')}]` : text,
    });
  });
});

async function handle(message) {
  switch (message.type) {
    case 'setup':
      return setup(message);
    case 'window':
      return measure(message);
    case 'stop':
      return shutdown(0);
    default:
      throw new Error(`unknown message ${message.type}`);
  }
}

async function setup({ wsUrl, topic, frameMs, players: specs, directPairs, directBase, joinTimeoutMs }) {
  for (let i = 0; i < directPairs; i++) pairs.push(new DirectPair(directBase + 2 * i, directHistogram));
  await Promise.all(pairs.map((pair) => pair.connect(joinTimeoutMs)));
  for (const spec of specs) {
    players.push(new SfuPlayer({ wsUrl, topic, ...spec, histogram: sfuHistogram }));
  }
  // Bounded concurrency: all sockets at once would be a thundering herd on the relay's signaling.
  let next = 0;
  const lane = async () => {
    while (next < players.length) await players[next++].join(joinTimeoutMs);
  };
  await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, players.length) }, lane));
  // Frames start with `window`, when every process is ready: a room already streaming through the
  // relay would slow the handshakes of the players still joining.
  frameMsOfRoom = frameMs;
  send({
    type: 'ready',
    players: players.map((p) => ({
      index: p.index,
      peerId: p.peerId,
      sourceIndex: p.sourceIndex,
      retries: p.retries,
      retryReasons: p.retryReasons,
    })),
    libraryLog: [...libraryLog],
  });
}

/** Senders: every SFU player and both peers of every direct pair, each on its own phase. */
function startScheduler(frameMs) {
  const periodUs = frameMs * 1000;
  const senders = [...players, ...pairs.flatMap((pair) => pair.peers)];
  const start = nowUs();
  const state = senders.map((sender, i) => ({
    sender,
    // Spread the phases over one period: real players' capture clocks are not aligned.
    nextUs: start + (periodUs * i) / senders.length,
    windowFrames: 0,
    windowBytes: 0,
    skipped: 0,
    failed: 0,
  }));
  scheduler = {
    state,
    periodUs,
    startUs: Infinity,
    endUs: -Infinity,
    lateUs: new LatencyHistogram(),
    timer: null,
  };
  const tick = () => {
    if (stopped) return;
    const now = nowUs();
    for (const s of state) {
      let sent = 0;
      while (s.nextUs <= now && sent < MAX_CATCH_UP_FRAMES) {
        const stampUs = nowUs();
        const bytes = s.sender.sendFrame();
        if (stampUs >= scheduler.startUs && stampUs < scheduler.endUs) {
          if (bytes > 0) {
            s.windowFrames++;
            s.windowBytes += bytes;
          } else s.failed++;
          scheduler.lateUs.add(stampUs - s.nextUs);
        }
        s.nextUs += periodUs;
        sent++;
      }
      if (s.nextUs <= now) {
        // Too far behind (the process was starved): skip ahead instead of bursting; counted.
        const behind = Math.ceil((now - s.nextUs) / periodUs);
        if (now >= scheduler.startUs && now < scheduler.endUs) s.skipped += behind;
        s.nextUs += behind * periodUs;
      }
    }
    scheduler.timer = setTimeout(tick, 1);
  };
  scheduler.timer = setTimeout(tick, 1);
}

async function measure({ startUs, endUs, drainMs }) {
  if (!scheduler) startScheduler(frameMsOfRoom);
  for (const p of players) p.stats.setWindow(startUs, endUs);
  for (const pair of pairs) for (const peer of pair.peers) peer.stats.setWindow(startUs, endUs);
  scheduler.startUs = startUs;
  scheduler.endUs = endUs;
  const everyone = [...players, ...pairs.flatMap((pair) => pair.peers)];
  let atStart = null;
  const cpuAtStart = { value: null };
  await sleepUntil(startUs);
  atStart = everyone.map((p) => p.transportBytes());
  cpuAtStart.value = process.cpuUsage();
  await sleepUntil(endUs);
  const atEnd = everyone.map((p) => p.transportBytes());
  const cpu = process.cpuUsage(cpuAtStart.value);
  await new Promise((resolve) => setTimeout(resolve, drainMs));
  const bySender = new Map(scheduler.state.map((s) => [s.sender, s]));
  const describe = (p, i) => {
    const s = bySender.get(p);
    return {
      index: p.index,
      sent: s.windowFrames,
      sentBytes: s.windowBytes,
      skipped: s.skipped,
      sendFailures: s.failed,
      received: p.stats.toJSON(),
      transportSent: atEnd[i].sent - atStart[i].sent,
      transportReceived: atEnd[i].received - atStart[i].received,
    };
  };
  send({
    type: 'result',
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    sfu: { histogram: sfuHistogram.toJSON(), players: players.map((p, i) => describe(p, i)) },
    direct: {
      histogram: directHistogram.toJSON(),
      players: pairs.flatMap((pair) => pair.peers).map((p, i) => describe(p, players.length + i)),
    },
    senderLateUs: scheduler.lateUs.toJSON(),
  });
}

function sleepUntil(us) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, (us - nowUs()) / 1000)));
}

function shutdown(code) {
  if (stopped) return;
  stopped = true;
  clearTimeout(lifetime);
  if (scheduler?.timer) clearTimeout(scheduler.timer);
  for (const p of players) p.dispose();
  for (const pair of pairs) pair.dispose();
  // No more log callbacks into JavaScript while the process goes down.
  nodeDataChannel.initLogger('Fatal');
  // libdatachannel's threads keep the process alive until cleaned up; give closes a moment to go out.
  setTimeout(() => {
    try {
      nodeDataChannel.cleanup();
    } finally {
      process.exit(code);
    }
  }, 200).unref();
}
