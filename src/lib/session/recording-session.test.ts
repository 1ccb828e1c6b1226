/**
 * RecordingSession as glue over the real parts: the real RecorderClient talking to the real
 * RecorderCore, real Roster and Participants. Stand-ins only where Node lacks a browser API:
 * - the Worker: RecorderCore runs in this thread behind a Worker-shaped object (no Web Workers in Node);
 * - the Origin Private File System and Web Locks: tests/support/opfs-memory.ts;
 * - the audio side: the record ports StudioAudio would open on its AudioContext (none in Node) are a
 *   MessageChannel this test drives as the record tap and the audio Worker would;
 * - the relay: `setRecording` is recorded, and the relay's answers are delivered the way the studio
 *   session forwards them (`peer-recording` into the Roster, refusals and permission to the session).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLocks, MemoryOpfs } from '../../../tests/support/opfs-memory';
import { Roster } from '../net/roster';
import type { AttestedPeer } from '../protocol/attested';
import { RECORDING_NOT_ALLOWED_MESSAGE } from '../protocol/errors';
import {
  TAKES_DIRECTORY,
  type ClockAnchor,
  type FromRecorder,
  type SourcePcm,
  type ToRecorder,
} from '../protocol/recording';
import { RecorderClient } from '../recording/recorder-client';
import { RecorderCore } from '../recording/recorder-core';
import { Emitter } from '../util/emitter';
import { Participants } from './participants';
import { RecordingRefused, RecordingSession, type RecordingAudio } from './recording-session';

/** Lets Node deliver MessagePort messages, settle promises and run timers, for up to 3 s. */
async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ANCHOR: ClockAnchor = { contextFrame: 48_000, epochMs: 1_000_000 };
const FIRST = 48_480; // the first tap block: 10 ms after the anchor, at epoch 1 000 010 ms

let client = 100;
const peer = (peerId: string, userId: string, name: string): AttestedPeer => ({
  peerId,
  userId,
  role: 'member',
  name,
  instrument: 'bass',
  client: client++,
  joinedAt: client,
});

/** The browser's Worker, in this thread: the real RecorderCore behind postMessage/onmessage. */
class CoreWorker {
  onmessage: ((event: MessageEvent<FromRecorder>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  readonly received: ToRecorder[] = [];
  readonly core: RecorderCore;
  constructor(fs: MemoryOpfs, locks: MemoryLocks) {
    this.core = new RecorderCore(
      { root: fs.getDirectory, estimate: fs.estimate, persisted: async () => true, locks: locks.tab() },
      (message) => queueMicrotask(() => this.onmessage?.({ data: message } as MessageEvent<FromRecorder>)),
      { startTimeoutMs: 3000 },
    );
  }
  postMessage(message: ToRecorder) {
    this.received.push(message);
    this.core.handle(message);
  }
  terminate() {
    this.core.dispose();
  }
}

/** What StudioAudio gives the recorder: ports the test drives as the tap worklet and audio Worker. */
class Audio implements RecordingAudio {
  state = { kind: 'on' };
  settings = { channels: 1 as const };
  readonly events = new Emitter<{ state: { kind: string } }>();
  tap: MessageChannel | null = null;
  net: MessageChannel | null = null;
  opened = 0;
  closed = 0;
  returned = 0;
  openRecordPorts() {
    this.opened++;
    this.tap = new MessageChannel();
    this.net = new MessageChannel();
    this.tap.port1.onmessage = (event: MessageEvent) => {
      if (event.data.type === 'tap-return') this.returned++;
    };
    return { tapPort: this.tap.port2, netPort: this.net.port2, clock: ANCHOR };
  }
  closeRecordPorts() {
    this.closed++;
    this.tap?.port1.close();
    this.net?.port1.close();
  }
  clockAnchor() {
    return ANCHOR;
  }
  /** One tap block: the microphone at `value`, the mix at (value, −value), the backing track at `track`. */
  block(contextFrame: number, frames: number, value = 0.5, track = 0) {
    const input = new Float32Array(frames).fill(value);
    const mix = new Float32Array(frames * 2).map((_, k) => (k % 2 ? -value : value));
    const backing = new Float32Array(frames * 2).fill(track);
    this.tap!.port1.postMessage(
      { type: 'tap-block', contextFrame, frames, inputChannels: 1, input, mix, backing },
      [input.buffer, mix.buffer, backing.buffer],
    );
  }
  pcm(sourceKey: string, captureEpochMs: number, frames: number, value: number) {
    const chunk: SourcePcm = {
      sourceKey,
      captureEpochMs,
      arrivalEpochMs: captureEpochMs + 30,
      uncertaintyMs: 0.5,
      senderTime: Math.round(captureEpochMs * 48) >>> 0,
      frames,
      channels: 1,
      samples: new Float32Array(frames).fill(value),
      concealed: false,
    };
    this.net!.port1.postMessage({ type: 'source-pcm', chunks: [chunk] });
  }
}

const ME = peer('me-peer-1', 'me', 'Ana');
const BOB1 = peer('bob-peer-1', 'bob', 'Bob');

interface Harness {
  fs: MemoryOpfs;
  worker: CoreWorker;
  audio: Audio;
  roster: Roster;
  participants: Participants;
  said: boolean[];
  rec: RecordingSession;
  mayRecord: boolean;
  /** The relay answers our `recording` as it does: `peer-recording` for our own seat. */
  attest: boolean;
}

let harnesses: Harness[] = [];

function harness(
  options: {
    peers?: Array<AttestedPeer & { recording?: boolean }>;
    mayRecord?: boolean;
    attest?: boolean;
  } = {},
): Harness {
  const fs = new MemoryOpfs();
  const worker = new CoreWorker(fs, new MemoryLocks());
  const audio = new Audio();
  const roster = new Roster({ rejoinGraceMs: 0 });
  const participants = new Participants({ roster });
  roster.reset(ME, options.peers ?? [], []);
  const h = {
    fs,
    worker,
    audio,
    roster,
    participants,
    said: [] as boolean[],
    attest: options.attest ?? true,
    mayRecord: options.mayRecord ?? true,
  };
  const rec = new RecordingSession({
    recorder: new RecorderClient(() => worker as unknown as Worker),
    createExporter: () => {
      throw new Error('no export in these tests');
    },
    audio,
    participants,
    setRecording: (on) => {
      h.said.push(on);
      if (h.attest) queueMicrotask(() => roster.setRecording(ME.peerId, on));
      return true;
    },
    roster,
    mayRecord: () => h.mayRecord,
    studio: { id: 's1', slug: 'band', name: 'Band' },
    clockIntervalMs: 20,
    announceTimeoutMs: 500,
  });
  // One object: the relay stand-in above reads `attest` from it, tests change it.
  const full = Object.assign(h, { rec });
  harnesses.push(full);
  return full;
}

/** Starts a take: the relay attests it, then the tap's first block lands. */
async function record(h: Harness): Promise<void> {
  const started = h.rec.start();
  await until(() => h.audio.opened === 1, 'record ports');
  h.audio.block(FIRST, 2048);
  await started;
}

function floats(fs: MemoryOpfs, take: string, track: string): Float32Array {
  const bytes = fs.file(`${TAKES_DIRECTORY}/${take}/${track}.f32`);
  return bytes ? new Float32Array(bytes.slice().buffer) : new Float32Array(0);
}

afterEach(() => {
  for (const h of harnesses) {
    h.rec.dispose();
    h.participants.dispose();
    h.roster.dispose();
  }
  harnesses = [];
});

describe('RecordingSession: starting a take', () => {
  it('tells the relay and waits for its attestation before the record ports open', async () => {
    const h = harness({ attest: false });
    const started = h.rec.start();
    await until(() => h.said.length === 1, 'announce');
    expect(h.said).toEqual([true]);
    expect(h.rec.status.phase).toBe('starting');
    // Nothing can be written before everyone was told: the tap is not even connected yet.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(h.audio.opened).toBe(0);

    h.roster.setRecording(ME.peerId, true);
    await until(() => h.audio.opened === 1, 'record ports');
    h.audio.block(FIRST, 2048);
    await started;
    expect(h.rec.status.phase).toBe('recording');
    expect(h.rec.status.startEpochMs).toBe(1_000_010);
    expect(h.rec.recorders()).toEqual([{ peerId: ME.peerId, userId: 'me', name: 'Ana', self: true }]);
  });

  it('records nothing when the relay refuses, and says why', async () => {
    const h = harness({ attest: false });
    const started = h.rec.start();
    await until(() => h.said.length === 1, 'announce');
    h.rec.relayRefused(RECORDING_NOT_ALLOWED_MESSAGE);
    await expect(started).rejects.toThrow(RecordingRefused);
    expect(h.audio.opened).toBe(0);
    expect(h.said).toEqual([true, false]);
    expect(h.rec.status).toMatchObject({
      phase: 'idle',
      mayRecord: false,
      problem: RECORDING_NOT_ALLOWED_MESSAGE,
    });
    expect(await h.rec.list()).toEqual([]);
  });

  it('records nothing when the relay does not confirm in time', async () => {
    const h = harness({ attest: false });
    await expect(h.rec.start()).rejects.toThrow(/did not confirm/);
    expect(h.audio.opened).toBe(0);
    expect(h.said).toEqual([true, false]);
  });

  it('does not ask the relay when we may not record or audio is off', async () => {
    const denied = harness({ mayRecord: false });
    await expect(denied.rec.start()).rejects.toThrow(RECORDING_NOT_ALLOWED_MESSAGE);
    const silent = harness();
    silent.audio.state = { kind: 'off' };
    await expect(silent.rec.start()).rejects.toThrow(/Start audio first/);
    expect([...denied.said, ...silent.said]).toEqual([]);
    expect(silent.rec.status.problem).toMatch(/Start audio first/);
  });
});

describe('RecordingSession: tracks', () => {
  it('writes the mix, our input and one stem per attested user; a reconnect continues the same stem', async () => {
    const h = harness({ peers: [BOB1] });
    await record(h);
    const id = h.rec.status.takeId!;
    h.audio.pcm(BOB1.peerId, 1_000_010, 480, 0.25);
    await until(() => floats(h.fs, id, 'u-bob').length >= 480, 'first stem chunk');

    // Bob drops and comes back: a new peer id, the same attested user.
    h.roster.leave(BOB1.peerId, 'gone');
    const bob2 = { ...peer('bob-peer-2', 'bob', 'Bob') };
    h.roster.join(bob2);
    await until(
      () => h.worker.received.some((m) => m.type === 'track' && m.sourceKeys.includes(bob2.peerId)),
      'track update',
    );
    const update = h.worker.received.filter((m) => m.type === 'track' && m.track.id === 'u-bob');
    expect(update.at(-1)).toMatchObject({ sourceKeys: [BOB1.peerId, bob2.peerId] });
    h.audio.pcm(bob2.peerId, 1_000_010 + 100, 480, 0.75); // 100 ms in: sample 4800
    h.audio.block(FIRST + 2048, 4096);
    await until(() => floats(h.fs, id, 'u-bob').length >= 4800 + 480, 'second stem chunk');

    const manifest = await h.rec.stop();
    expect(manifest?.tracks.map((t) => t.id).sort()).toEqual(['mix', 'self', 'u-bob']);
    const bob = manifest!.tracks.find((t) => t.id === 'u-bob')!;
    expect(bob).toMatchObject({ userId: 'bob', name: 'Bob', kind: 'remote', startSample: 0 });
    const stem = floats(h.fs, id, 'u-bob');
    // Mono: the recorder sizes a remote stem by its sender's first frames.
    expect(bob.channels).toBe(1);
    expect(stem[0]).toBe(0.25);
    expect(stem[479]).toBe(0.25);
    expect(stem[480]).toBe(0); // the time Bob was away is silence
    expect(stem[4799]).toBe(0);
    expect(stem[4800]).toBe(0.75);
    expect(manifest!.tracks.find((t) => t.id === 'self')!.channels).toBe(1);
    expect(manifest!.tracks.find((t) => t.id === 'mix')!.channels).toBe(2);
  });

  it('sends a clock anchor every interval while recording, and none after', async () => {
    const h = harness();
    await record(h);
    const clocks = () => h.worker.received.filter((m) => m.type === 'clock').length;
    await until(() => clocks() >= 3, 'three anchors');
    await h.rec.stop();
    const after = clocks();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(clocks()).toBe(after);
  });

  it('names the backing stem after the track the transport plays, also when it starts mid-take', async () => {
    const h = harness();
    let title: string | null = null;
    h.rec.nameBackingTrack(() => title);
    await record(h);
    const id = h.rec.status.takeId!;
    const backingNames = () =>
      h.worker.received.flatMap((m) =>
        m.type === 'track' && m.track.id === 'backing' ? [m.track.name] : [],
      );
    expect(backingNames()).toEqual(['Backing track']);
    title = '  Shuffle in G ';
    await until(() => backingNames().length === 2, 'renamed');
    expect(backingNames()[1]).toBe('Backing track: Shuffle in G');
    // The track sounds from the second block: the stem starts there, at the level the tap sent.
    h.audio.block(FIRST + 2048, 2048, 0.5, 0.25);
    await until(() => floats(h.fs, id, 'backing').length >= 2 * 2048, 'backing stem');
    const manifest = await h.rec.stop();
    expect(manifest!.tracks.find((t) => t.id === 'backing')).toMatchObject({
      kind: 'backing',
      name: 'Backing track: Shuffle in G',
      startSample: 2048,
      frames: 2048,
    });
    expect(backingNames()).toHaveLength(2); // declared again only when the name changed
  });

  it('names players whose audio comes as a WebRTC track: they get no stem', async () => {
    const h = harness({ peers: [BOB1] });
    await record(h);
    h.participants.setRoute(BOB1.peerId, 'track');
    expect(h.rec.status.noStem).toEqual(['Bob']);
  });
});

describe('RecordingSession: ending a take', () => {
  it('Stop ends the take, tells the relay and closes the ports', async () => {
    const h = harness();
    await record(h);
    const manifest = await h.rec.stop();
    expect(manifest?.state).toBe('complete');
    expect(h.said).toEqual([true, false]);
    expect(h.audio.closed).toBe(1);
    expect(h.rec.status).toMatchObject({ phase: 'idle', problem: null });
    await until(() => h.rec.recorders().length === 0, 'relay says off');
    const takes = await h.rec.list();
    expect(takes).toHaveLength(1);
    expect(takes[0]).toMatchObject({ state: 'complete', unfinished: false });
  });

  it('a full disk stops the take cleanly and says so', async () => {
    const h = harness();
    await record(h);
    h.fs.quotaBytes = h.fs.usage() + 1000;
    h.audio.block(FIRST + 2048, 4096);
    await until(() => h.rec.status.phase === 'idle', 'storage-full stop');
    expect(h.rec.status.problem).toMatch(/storage ran out/);
    expect(h.said).toEqual([true, false]);
    expect(h.audio.closed).toBe(1);
  });

  it('the relay withdrawing permission stops the take', async () => {
    const h = harness();
    await record(h);
    h.rec.relayPermission(false);
    await until(() => h.rec.status.phase === 'idle', 'stopped');
    expect(h.rec.status.problem).toBe(RECORDING_NOT_ALLOWED_MESSAGE);
    expect(h.said).toEqual([true, false]);
  });

  it("the relay turning our flag off mid-take stops it; an earlier take's late 'off' does not", async () => {
    const h = harness();
    await record(h);
    await h.rec.stop();
    // Record again at once, the relay slow: its 'off' for the first take lands while we wait.
    h.attest = false;
    const started = h.rec.start();
    await until(() => h.said.length === 3, 'announce');
    h.roster.setRecording(ME.peerId, false); // the first take's 'off'
    expect(h.rec.status.phase).toBe('starting');
    h.roster.setRecording(ME.peerId, true);
    await until(() => h.audio.opened === 2, 'record ports');
    h.audio.block(FIRST, 2048);
    await started;
    h.roster.setRecording(ME.peerId, false);
    await until(() => h.rec.status.phase === 'idle', 'stopped');
    expect(h.rec.status.problem).toMatch(/no longer shows you as recording/);
  });

  it('audio stopping stops the take', async () => {
    const h = harness();
    await record(h);
    h.audio.state = { kind: 'off' };
    h.audio.events.emit('state', h.audio.state);
    await until(() => h.rec.status.phase === 'idle', 'stopped');
    expect(h.rec.status.problem).toMatch(/Audio stopped/);
    expect(h.audio.closed).toBe(1);
  });

  it('leaving (dispose) stops a running take and tells the relay; twice is harmless', async () => {
    const h = harness();
    await record(h);
    const id = h.rec.status.takeId!;
    h.rec.dispose();
    h.rec.dispose();
    expect(h.said).toEqual([true, false]);
    expect(h.audio.closed).toBe(1);
    // The Worker finishes the take before it goes: its manifest says complete.
    await until(() => h.worker.received.some((m) => m.type === 'dispose'), 'dispose sent');
    const manifestState = () =>
      ['take.json', 'take.1.json']
        .map((f) => h.fs.file(`${TAKES_DIRECTORY}/${id}/${f}`))
        .map((bytes) =>
          bytes
            ? (JSON.parse(new TextDecoder().decode(bytes)) as { state: string; sequence?: number })
            : null,
        )
        .filter((m) => m !== null)
        .sort((a, b) => (b.sequence ?? 0) - (a.sequence ?? 0))[0]?.state;
    await until(() => manifestState() === 'complete', 'the take completed');
  });
});

describe('RecordingSession: who records', () => {
  it('lists every recorder the relay names, to a newcomer at once, and drops a leaver', () => {
    const cat = peer('cat-peer-1', 'cat', 'Cat');
    // A newcomer: the relay's `subscribed` lists Bob as recording.
    const h = harness({ peers: [{ ...BOB1, recording: true }, cat] });
    let changes = 0;
    h.rec.events.on('change', () => changes++);
    expect(h.rec.recorders().map((r) => r.name)).toEqual(['Bob']);
    h.roster.setRecording(cat.peerId, true);
    expect(h.rec.recorders().map((r) => r.name)).toEqual(['Bob', 'Cat']);
    h.roster.leave(BOB1.peerId, 'left');
    expect(h.rec.recorders().map((r) => r.name)).toEqual(['Cat']);
    h.roster.setRecording(cat.peerId, false);
    expect(h.rec.recorders()).toEqual([]);
    expect(changes).toBe(3);
  });
});
