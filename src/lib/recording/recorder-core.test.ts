import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLocks, MemoryOpfs } from '../../../tests/support/opfs-memory';
import {
  MIN_FREE_BYTES,
  TAKES_DIRECTORY,
  type ClockAnchor,
  type FromRecorder,
  type SourcePcm,
  type TakeManifest,
  type ToRecorder,
  type TrackInfo,
} from '../protocol/recording';
import type { LocksLike, StorageEstimateLike } from './opfs';
import { RecorderCore } from './recorder-core';
import { addRange } from './recorder-tracks';
import { parseManifest, takeLockName } from './take-store';

/** Lets Node deliver MessagePort messages (real event-loop turns; timers are faked). */
async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ANCHOR: ClockAnchor = { contextFrame: 48_000, epochMs: 1_000_000 };
/** The first tap block's frame: take sample 0 is 10 ms after the anchor, at epoch 1 000 010 ms. */
const FIRST = 48_480;
const T0 = 1_000_010;

const BOB: TrackInfo = {
  id: 'u-bob',
  kind: 'remote',
  userId: 'bob',
  name: 'Bob',
  instrument: 'bass',
  channels: 1,
};

/** One recording tab: a RecorderCore over a shared in-memory OPFS, with its tap and net ports. */
class Tab {
  readonly posts: FromRecorder[] = [];
  readonly core: RecorderCore;
  readonly locks: LocksLike & { readonly id: number };
  readonly tap = new MessageChannel();
  readonly net = new MessageChannel();
  returned = 0;
  tapStopped = false;
  disposed = false;

  constructor(
    readonly fs: MemoryOpfs,
    readonly allLocks: MemoryLocks,
    estimate: () => Promise<StorageEstimateLike | null> = fs.estimate,
  ) {
    this.locks = allLocks.tab();
    this.core = new RecorderCore(
      { root: fs.getDirectory, estimate, persisted: async () => true, locks: this.locks },
      (message) => this.posts.push(message),
      { startTimeoutMs: 3000, onDisposed: () => (this.disposed = true) },
    );
    this.tap.port1.onmessage = (event: MessageEvent) => {
      if (event.data.type === 'tap-return') this.returned++;
      if (event.data.type === 'tap-stop') this.tapStopped = true;
    };
  }

  close(): void {
    this.tap.port1.close();
    this.net.port1.close();
  }

  /** Sends a request and waits for its answer (the first new message of one of `types`). */
  async request<T extends FromRecorder['type']>(
    message: ToRecorder,
    ...types: T[]
  ): Promise<Extract<FromRecorder, { type: T }>> {
    const from = this.posts.length;
    this.core.handle(message);
    let answer: FromRecorder | undefined;
    await until(
      () => (answer = this.posts.slice(from).find((m) => (types as string[]).includes(m.type))) !== undefined,
      types.join('|'),
    );
    return answer as Extract<FromRecorder, { type: T }>;
  }

  async start(id = 't1', clock = ANCHOR): Promise<void> {
    this.core.handle({
      type: 'start',
      take: {
        id,
        name: `Take ${id}`,
        studio: { id: 's1', slug: 'band', name: 'Band' },
        recordedBy: { userId: 'me', name: 'Ana' },
      },
      tapPort: this.tap.port2,
      netPort: this.net.port2,
      clock,
    });
    await until(() => this.core.recordingId === id || this.posts.some((m) => m.type === 'error'), 'start');
  }

  /**
   * One tap block of `frames` frames at `contextFrame`: mic sample = value, mix = (value, −value),
   * backing = (track, track / 2) (silence by default: no backing track plays).
   */
  async block(
    contextFrame: number,
    frames: number,
    value: (i: number) => number = () => 0.5,
    track: (i: number) => number = () => 0,
  ): Promise<void> {
    const input = Float32Array.from({ length: frames }, (_, i) => value(i));
    const mix = new Float32Array(frames * 2).map((_, k) => (k % 2 ? -1 : 1) * value(k >> 1));
    const backing = new Float32Array(frames * 2).map((_, k) => (k % 2 ? 0.5 : 1) * track(k >> 1));
    const before = this.returned;
    this.tap.port1.postMessage(
      { type: 'tap-block', contextFrame, frames, inputChannels: 1, input, mix, backing },
      [input.buffer, mix.buffer, backing.buffer],
    );
    await until(() => this.returned > before || this.core.recordingId === null, 'tap-return');
  }

  sendNet(chunks: SourcePcm[]): void {
    this.net.port1.postMessage({ type: 'source-pcm', chunks });
  }

  stopped(): Extract<FromRecorder, { type: 'stopped' }> | undefined {
    return this.posts.find((m): m is Extract<FromRecorder, { type: 'stopped' }> => m.type === 'stopped');
  }
}

function chunk(
  sourceKey: string,
  captureEpochMs: number | null,
  frames: number,
  value: number,
  patch: Partial<SourcePcm> = {},
): SourcePcm {
  return {
    sourceKey,
    captureEpochMs,
    arrivalEpochMs: (captureEpochMs ?? T0) + 40,
    uncertaintyMs: captureEpochMs === null ? null : 0.5,
    // The sender's clock runs with ours in these tests: its time is the capture time in samples.
    senderTime: Math.round(((captureEpochMs ?? T0) - T0) * 48) >>> 0,
    frames,
    channels: 1,
    samples: new Float32Array(frames).fill(value),
    concealed: false,
    ...patch,
  };
}

function floats(fs: MemoryOpfs, id: string, track: string): Float32Array {
  const bytes = fs.file(`${TAKES_DIRECTORY}/${id}/${track}.f32`);
  return bytes ? new Float32Array(bytes.slice().buffer) : new Float32Array(0);
}

/** The newest whole manifest copy as it lies on disk (read around the recorder's open handles). */
function diskManifest(fs: MemoryOpfs, id: string): TakeManifest | null {
  const copies = ['take.json', 'take.1.json']
    .map((name) => fs.file(`${TAKES_DIRECTORY}/${id}/${name}`))
    .map((bytes) => (bytes ? parseManifest(new TextDecoder().decode(bytes)) : null))
    .filter((m): m is TakeManifest => m !== null);
  return copies.sort((a, b) => (b.sequence ?? 0) - (a.sequence ?? 0))[0] ?? null;
}

let tabs: Tab[] = [];
function tab(fs: MemoryOpfs, locks: MemoryLocks, estimate?: () => Promise<StorageEstimateLike | null>): Tab {
  const t = new Tab(fs, locks, estimate);
  tabs.push(t);
  return t;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  for (const t of tabs) {
    t.core.dispose();
    t.close();
  }
  tabs = [];
  vi.useRealTimers();
});

describe('RecorderCore: the tap', () => {
  it('writes the microphone to self and the mix to mix at their context frames, and returns the buffers', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    await a.start();
    await a.block(FIRST, 128, (i) => i / 1000);
    expect(a.posts).toContainEqual({ type: 'started', id: 't1', startEpochMs: T0 });
    await a.block(FIRST + 128, 128, (i) => (128 + i) / 1000);
    // The tap dropped two blocks: their frames stay zeros and are marked concealed.
    await a.block(FIRST + 128 * 4, 128, () => 0.25);
    expect(a.returned).toBe(3);

    const self = floats(fs, 't1', 'self');
    expect(self.length).toBe(128 * 5);
    expect(self[0]).toBe(0);
    expect(self[200]).toBeCloseTo(0.2, 6);
    expect([...self.subarray(256, 512)].every((v) => v === 0)).toBe(true);
    expect(self[512]).toBe(0.25);
    const mix = floats(fs, 't1', 'mix');
    expect(mix.length).toBe(128 * 5 * 2);
    expect([mix[2 * 200], mix[2 * 200 + 1]]).toEqual([self[200], -self[200]!]);

    const stopped = await a.request({ type: 'stop' }, 'stopped');
    expect(stopped).toMatchObject({ id: 't1', reason: 'stopped' });
    expect(a.tapStopped).toBe(true);
    const m = stopped.manifest!;
    expect(m).toMatchObject({
      state: 'complete',
      durationFrames: 640,
      startContextFrame: FIRST,
      startEpochMs: T0,
    });
    expect(m.startedAt).toBe(new Date(T0).toISOString());
    expect(m.tracks.map((t) => [t.id, t.kind, t.channels, t.startSample, t.frames, t.concealed])).toEqual([
      ['mix', 'mix', 2, 0, 640, [[256, 512]]],
      ['self', 'self', 1, 0, 640, [[256, 512]]],
    ]);
    expect(m.tracks[1]!.name).toBe('Ana');
    expect(diskManifest(fs, 't1')).toMatchObject({
      state: 'complete',
      stopReason: 'stopped',
      durationFrames: 640,
    });
  });

  it('gives the backing track its own stem from the first block it sounds in, at unity and aligned', async () => {
    const fs = new MemoryOpfs();
    const locks = new MemoryLocks();
    const a = tab(fs, locks);
    await a.start();
    // Two blocks before the track starts: silence is no stem (and no manifest entry).
    await a.block(FIRST, 128);
    await a.block(FIRST + 128, 128);
    expect(diskManifest(fs, 't1')!.tracks.map((t) => t.id)).toEqual(['mix', 'self']);
    expect(floats(fs, 't1', 'backing')).toHaveLength(0);
    // The track sounds from sample 300 on; then a dropped block; then the track stops (silence, kept).
    await a.block(FIRST + 256, 128, undefined, (i) => (i >= 44 ? (256 + i) / 10_000 : 0));
    // Named in the manifest at once (before any flush), so a crash now keeps its place.
    expect(diskManifest(fs, 't1')!.tracks.find((t) => t.id === 'backing')).toMatchObject({
      kind: 'backing',
      name: 'Backing track',
      channels: 2,
      startSample: 256,
      userId: null,
    });
    await a.block(FIRST + 384, 128, undefined, (i) => (384 + i) / 10_000);
    await a.block(FIRST + 640, 128);
    const backing = floats(fs, 't1', 'backing');
    expect(backing).toHaveLength(2 * (768 - 256));
    // Take sample 300 + k is track value (300 + k) / 10 000 on the left, half of it on the right.
    expect(backing[2 * (300 - 256)]).toBeCloseTo(0.03, 6);
    expect(backing[2 * (300 - 256) + 1]).toBeCloseTo(0.015, 6);
    expect(backing[2 * (400 - 256)]).toBeCloseTo(0.04, 6);
    expect(backing.subarray(2 * (512 - 256)).every((v) => v === 0)).toBe(true);
    expect(a.returned).toBe(5);

    vi.advanceTimersByTime(1000);
    fs.crash();
    locks.crashTab(a.locks);
    a.close();
    const b = tab(fs, locks);
    const { takes } = await b.request({ type: 'list' }, 'takes');
    // The backing track is a stem, not a player.
    expect(takes).toEqual([expect.objectContaining({ id: 't1', players: ['Ana'] })]);
    const m = (await b.request({ type: 'recover', id: 't1' }, 'recovered')).manifest!;
    expect(m.tracks.map((t) => [t.id, t.kind, t.startSample, t.frames, t.concealed])).toEqual([
      ['mix', 'mix', 0, 768, [[512, 640]]],
      ['self', 'self', 0, 768, [[512, 640]]],
      ['backing', 'backing', 256, 512, [[512, 640]]],
    ]);
  });

  it('leaves no backing file behind when no backing track played', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    await a.start();
    await a.block(FIRST, 128);
    expect(fs.file(`${TAKES_DIRECTORY}/t1/backing.f32`)).not.toBeNull();
    const stopped = await a.request({ type: 'stop' }, 'stopped');
    expect(stopped.manifest!.tracks.map((t) => t.id)).toEqual(['mix', 'self']);
    await until(() => fs.file(`${TAKES_DIRECTORY}/t1/backing.f32`) === null, 'backing file removed');
  });

  it('drops a tap block that lacks its backing buffer, and still returns the others', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    await a.start();
    await a.block(FIRST, 128);
    const input = new Float32Array(128).fill(0.5);
    const mix = new Float32Array(256).fill(0.5);
    const backing = new Float32Array(10).fill(0.5); // too short for 128 stereo frames
    a.tap.port1.postMessage(
      { type: 'tap-block', contextFrame: FIRST + 128, frames: 128, inputChannels: 1, input, mix, backing },
      [input.buffer, mix.buffer, backing.buffer],
    );
    await until(() => a.returned === 2);
    expect(floats(fs, 't1', 'self')).toHaveLength(128);
    expect(floats(fs, 't1', 'backing')).toHaveLength(0);
    expect(a.core.recordingId).toBe('t1');
  });

  it('ignores malformed messages without failing, and still returns the buffers', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    a.core.handle(null as unknown as ToRecorder);
    a.core.handle({ type: 'bogus' } as unknown as ToRecorder);
    await a.start();
    const input = new Float32Array(4);
    const mix = new Float32Array(2); // too short for 4 stereo frames
    a.tap.port1.postMessage(
      { type: 'tap-block', contextFrame: FIRST, frames: 4, inputChannels: 1, input, mix },
      [input.buffer, mix.buffer],
    );
    await until(() => a.returned === 1);
    a.net.port1.postMessage({ type: 'source-pcm', chunks: [{ sourceKey: 5 }, null] });
    await a.block(FIRST, 128);
    expect(a.core.recordingId).toBe('t1');
    expect(a.posts.find((m) => m.type === 'error' && m.request === 'list')).toBeUndefined();
  });

  it('gives up with a clear error when no audio arrives, leaving nothing behind', async () => {
    const fs = new MemoryOpfs();
    const locks = new MemoryLocks();
    const a = tab(fs, locks);
    await a.start();
    vi.advanceTimersByTime(3000);
    expect(a.posts).toContainEqual({
      type: 'error',
      request: 'start',
      message: expect.stringMatching(/No audio reached/),
    });
    await until(() => !locks.isHeld(takeLockName('t1')), 'lock released');
    await until(() => fs.file(`${TAKES_DIRECTORY}/t1/take.json`) === null, 'take removed');
    expect((await a.request({ type: 'list' }, 'takes')).takes).toEqual([]);
  });
});

describe('RecorderCore: remote players', () => {
  /** A tab recording a take with Bob declared (source `peer-a`) and its first tap block in. */
  async function recordingBob() {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    a.core.handle({ type: 'track', track: BOB, sourceKeys: ['peer-a'] });
    await a.start();
    await a.block(FIRST, 128);
    return { fs, a };
  }

  it('places frames at their capture time, keeps a stem contiguous, continues it across a reconnect', async () => {
    const { fs, a } = await recordingBob();

    // Captured 100 ms after take sample 0 → sample 4800. The next batch's estimate is 0.2 ms late:
    // within the placer's tolerance, so it follows on without a gap; then a concealed batch.
    a.sendNet([
      chunk('peer-a', T0 + 100, 480, 0.1),
      chunk('peer-a', T0 + 110.2, 480, 0.2, { senderTime: 5280 }), // the sender's next frame
      chunk('peer-a', T0 + 120, 480, 0.3, { concealed: true, uncertaintyMs: 1.5 }),
      chunk('peer-z', T0 + 100, 480, 0.9), // no track declared for it: dropped
    ]);
    await until(() => floats(fs, 't1', 'u-bob').length === 1440, 'first batches');
    // Bob reconnects as a new peer: the same stem, placed where its clock says, the gap zero-filled.
    a.core.handle({ type: 'track', track: { ...BOB, name: 'Bob B.' }, sourceKeys: ['peer-a', 'peer-b'] });
    a.sendNet([chunk('peer-b', T0 + 500, 480, 0.4)]);
    // Through the SFU without a clock estimate: placed at arrival, and the stem is no longer "aligned".
    a.sendNet([chunk('peer-b', null, 480, 0.5, { arrivalEpochMs: T0 + 600 })]);
    await until(() => floats(fs, 't1', 'u-bob').length === 24480, 'reconnected batches');

    const bob = floats(fs, 't1', 'u-bob');
    expect(bob[0]).toBeCloseTo(0.1, 6);
    expect(bob[479]).toBeCloseTo(0.1, 6);
    expect(bob[480]).toBeCloseTo(0.2, 6); // contiguous, not 10 samples later
    expect(bob[960]).toBeCloseTo(0.3, 6);
    // Take sample 24 000 (500 ms + the 10 ms from anchor to sample 0) is file frame 19 200.
    expect([...bob.subarray(1440, 19200)].every((v) => v === 0)).toBe(true);
    expect(bob[19200]).toBeCloseTo(0.4, 6);
    expect([...bob.subarray(19680, 24000)].every((v) => v === 0)).toBe(true);
    expect(bob[24000]).toBeCloseTo(0.5, 6);

    const m = (await a.request({ type: 'stop' }, 'stopped')).manifest!;
    const track = m.tracks.find((t) => t.id === 'u-bob')!;
    expect(track).toMatchObject({
      name: 'Bob B.',
      startSample: 4800,
      frames: 24480,
      concealed: [[5760, 6240]],
      aligned: false,
      clockUncertaintyMs: 1.5,
    });
    expect(m.durationFrames).toBe(4800 + 24480);
    expect(m.tracks.map((t) => t.id)).toEqual(['mix', 'self', 'u-bob']);
  });

  it('leaves audio that never arrived empty at its place and marks it concealed', async () => {
    const { fs, a } = await recordingBob();
    // 30 ms of Bob's frames never came (more than the Worker conceals); the estimate for the frames
    // after the gap is 0.1 ms off: the gap stays where it was, not glued shut.
    a.sendNet([
      chunk('peer-a', T0 + 100, 480, 0.1),
      chunk('peer-a', T0 + 140.1, 480, 0.2, { senderTime: 6720 }),
    ]);
    await until(() => floats(fs, 't1', 'u-bob').length === 2400, 'both batches');
    const bob = floats(fs, 't1', 'u-bob');
    expect(bob[479]).toBeCloseTo(0.1, 6);
    expect([...bob.subarray(480, 1920)].every((v) => v === 0)).toBe(true);
    expect(bob[1920]).toBeCloseTo(0.2, 6);
    const m = (await a.request({ type: 'stop' }, 'stopped')).manifest!;
    expect(m.tracks.find((t) => t.id === 'u-bob')!.concealed).toEqual([[5280, 6720]]);
  });

  it('drops chunks a sender claims it captured in the future, and keeps recording its real ones', async () => {
    const { fs, a } = await recordingBob();
    // An hour ahead, then ten seconds ahead in sender time (as a hostile or broken sender might claim).
    a.sendNet([
      chunk('peer-a', T0 + 100, 480, 0.1),
      chunk('peer-a', T0 + 3_600_000, 480, 0.9),
      chunk('peer-a', T0 + 10_110, 480, 0.8, { senderTime: 4800 + 480 + 480_000 }),
      chunk('peer-a', T0 + 120, 480, 0.2),
    ]);
    await until(() => floats(fs, 't1', 'u-bob').length === 1440, 'the honest chunks');
    const bob = floats(fs, 't1', 'u-bob');
    expect(bob[0]).toBeCloseTo(0.1, 6);
    expect(bob[960]).toBeCloseTo(0.2, 6);
    expect([...bob].some((v) => v > 0.5)).toBe(false);
    const m = (await a.request({ type: 'stop' }, 'stopped')).manifest!;
    expect(m.durationFrames).toBeLessThan(48_000);
  });

  it("sizes a remote stem by its sender's first frames, and converts later frames to it", async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    a.core.handle({ type: 'track', track: { ...BOB, channels: 2 }, sourceKeys: ['peer-a'] });
    a.core.handle({
      type: 'track',
      track: { ...BOB, id: 'u-cy', userId: 'cy', channels: 2 },
      sourceKeys: ['peer-c'],
    });
    await a.start();
    await a.block(FIRST, 128);
    const stereo = new Float32Array([0.1, 0.3, 0.1, 0.3]);
    a.sendNet([
      // A mono sender: a mono file; a stray stereo frame is folded to its mean.
      chunk('peer-a', T0 + 100, 3, 0.2),
      { ...chunk('peer-a', T0 + 100 + 3 / 48, 2, 0), channels: 2, samples: stereo },
      chunk('peer-a', T0 + 100 + 5 / 48, 1, 0.6),
      // A stereo sender: a stereo file; a mono frame goes to both sides.
      { ...chunk('peer-c', T0 + 100, 2, 0), channels: 2, samples: stereo },
      chunk('peer-c', T0 + 100 + 2 / 48, 1, 0.6),
    ]);
    await until(() => floats(fs, 't1', 'u-bob').length === 6 && floats(fs, 't1', 'u-cy').length === 6);
    const round = (f: Float32Array) => [...f].map((v) => Math.round(v * 10) / 10);
    expect(round(floats(fs, 't1', 'u-bob'))).toEqual([0.2, 0.2, 0.2, 0.2, 0.2, 0.6]);
    expect(round(floats(fs, 't1', 'u-cy'))).toEqual([0.1, 0.3, 0.1, 0.3, 0.6, 0.6]);
    const manifest = (await a.request({ type: 'stop' }, 'stopped')).manifest!;
    expect(manifest.tracks.find((t) => t.id === 'u-bob')!.channels).toBe(1);
    expect(manifest.tracks.find((t) => t.id === 'u-cy')!.channels).toBe(2);
  });

  it('writes a new stem into the manifest at once, so a crash right after keeps its place', async () => {
    const { fs, a } = await recordingBob();
    a.sendNet([chunk('peer-a', T0 + 100, 480, 0.1)]);
    await until(() => floats(fs, 't1', 'u-bob').length === 480);
    expect(diskManifest(fs, 't1')!.tracks.find((t) => t.id === 'u-bob')).toMatchObject({ startSample: 4800 });
  });
});

describe('RecorderCore: flushing and progress', () => {
  it('flushes the audio and rewrites the manifest every second; reports progress once a second', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    await a.start();
    for (let i = 0; i < 10; i++) await a.block(FIRST + i * 2048, 2048);
    const mixPath = `${TAKES_DIRECTORY}/t1/mix.f32`;
    expect(fs.flushes.get(mixPath) ?? 0).toBe(0);
    expect(diskManifest(fs, 't1')!.tracks[0]!.frames).toBe(2048); // written with the first block

    vi.advanceTimersByTime(999);
    expect(fs.flushes.get(mixPath) ?? 0).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fs.flushes.get(mixPath)).toBe(1);
    expect(diskManifest(fs, 't1')!.tracks[0]!.frames).toBe(20480);
    expect(a.posts.filter((m) => m.type === 'progress')).toEqual([
      { type: 'progress', id: 't1', durationFrames: 20480, bytes: 20480 * 8 + 20480 * 4, tracks: 2 },
    ]);

    await a.block(FIRST + 10 * 2048, 2048);
    vi.advanceTimersByTime(3000);
    expect(fs.flushes.get(mixPath)).toBe(4);
    expect(a.posts.filter((m) => m.type === 'progress')).toHaveLength(4);
    expect(diskManifest(fs, 't1')!.tracks[0]!.frames).toBe(22528);
  });

  it('after a crash (no stop), another tab lists the take as unfinished and recovers every flushed frame', async () => {
    const fs = new MemoryOpfs();
    const locks = new MemoryLocks();
    const a = tab(fs, locks);
    a.core.handle({ type: 'track', track: BOB, sourceKeys: ['peer-a'] });
    await a.start();
    // 3 s of audio with a flush each second; Bob joins in the second second.
    let frame = FIRST;
    for (let second = 0; second < 3; second++) {
      for (let i = 0; i < 23; i++, frame += 2048)
        await a.block(frame, 2048, (k) => ((frame + k) % 1000) / 1000);
      if (second >= 1) {
        // A second of Bob in ten contiguous batches.
        const base = T0 + second * 1000 - 10;
        a.sendNet(Array.from({ length: 10 }, (_, k) => chunk('peer-a', base + k * 100, 4800, 0.7)));
        await until(() => floats(fs, 't1', 'u-bob').length === second * 48000, 'bob');
      }
      vi.advanceTimersByTime(1000);
    }
    const flushed = (frame - FIRST) as number;
    // Then half a second more that never gets flushed, and the tab dies.
    for (let i = 0; i < 12; i++, frame += 2048) await a.block(frame, 2048);
    fs.crash();
    locks.crashTab(a.locks);
    a.close();

    const b = tab(fs, locks);
    const { takes } = await b.request({ type: 'list' }, 'takes');
    expect(takes).toEqual([
      expect.objectContaining({ id: 't1', state: 'recording', unfinished: true, players: ['Ana', 'Bob'] }),
    ]);
    const recovered = await b.request({ type: 'recover', id: 't1' }, 'recovered');
    const m = recovered.manifest!;
    expect(m).toMatchObject({
      state: 'recovered',
      stopReason: 'crashed',
      durationFrames: 48000 - 480 + 96000,
    });
    expect(m.tracks.map((t) => [t.id, t.startSample, t.frames])).toEqual([
      ['mix', 0, flushed],
      ['self', 0, flushed],
      ['u-bob', 48000 - 480, 96000],
    ]);
    const self = floats(fs, 't1', 'self');
    expect(self.length).toBe(flushed);
    expect(self[flushed - 1]).toBeCloseTo(((FIRST + flushed - 1) % 1000) / 1000, 6);
    expect((await b.request({ type: 'list' }, 'takes')).takes[0]).toMatchObject({
      unfinished: false,
      state: 'recovered',
    });
    expect(await b.request({ type: 'manifest', id: 't1' }, 'manifest')).toMatchObject({
      manifest: { state: 'recovered' },
    });
  });
});

describe('RecorderCore: storage', () => {
  // 'throw': the spec's QuotaExceededError; 'short': Chromium's write() returning an error code.
  it.each(['throw', 'short'] as const)(
    'a full disk mid-take (%s) stops cleanly: everything written is flushed and kept, the manifest says why',
    async (quotaFailure) => {
      const fs = new MemoryOpfs({ quotaBytes: 300_000, quotaFailure });
      const locks = new MemoryLocks();
      const a = tab(fs, locks, async () => ({ usage: 0, quota: 10 * MIN_FREE_BYTES }));
      await a.start();
      let frame = FIRST;
      while (!a.stopped() && frame < FIRST + 48_000 * 10) {
        await a.block(frame, 2048, () => 0.3);
        frame += 2048;
      }
      const stopped = a.stopped()!;
      await until(() => a.tapStopped, 'tap-stop');
      expect(stopped).toMatchObject({
        reason: 'storage-full',
        message: expect.stringMatching(/Storage is full/),
      });
      expect(a.tapStopped).toBe(true);
      expect(locks.isHeld(takeLockName('t1'))).toBe(false);
      const m = stopped.manifest!;
      expect(m.state).toBe('complete');
      // Nothing written is lost when the tab dies now: every frame the manifest names was flushed.
      fs.crash();
      for (const t of m.tracks) {
        const data = floats(fs, 't1', t.id);
        expect(data.length, t.id).toBe(t.frames * t.channels);
        expect(t.frames, t.id).toBeGreaterThan(0);
        expect(
          data.every(
            (v, i) => v === (t.id === 'mix' && i % 2 ? -0.3 : 0.3) || Math.abs(v) === Math.fround(0.3),
          ),
          t.id,
        ).toBe(true);
      }
      expect(diskManifest(fs, 't1')).toMatchObject({ state: 'complete', stopReason: 'storage-full' });
      // Later blocks are not written.
      expect(a.core.recordingId).toBeNull();
    },
  );

  it('refuses to start when free storage is below MIN_FREE_BYTES, with the numbers', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks(), async () => ({
      usage: 990 * 1024 * 1024,
      quota: 1000 * 1024 * 1024,
    }));
    await a.start();
    expect(a.posts).toEqual([
      {
        type: 'error',
        request: 'start',
        message: expect.stringMatching(/Not enough storage to record: 10 MB free, at least 64 MB/),
      },
    ]);
    expect(a.core.recordingId).toBeNull();
  });

  it('stops with storage-full when the estimate drops below MIN_FREE_BYTES during a take', async () => {
    const fs = new MemoryOpfs();
    let free = 10 * MIN_FREE_BYTES;
    const a = tab(fs, new MemoryLocks(), async () => ({ usage: 0, quota: free }));
    await a.start();
    await a.block(FIRST, 2048);
    vi.advanceTimersByTime(5000);
    await until(() => a.posts.some((m) => m.type === 'progress'));
    expect(a.stopped()).toBeUndefined();
    free = MIN_FREE_BYTES / 2;
    vi.advanceTimersByTime(5000);
    await until(() => a.stopped() !== undefined, 'stopped');
    expect(a.stopped()).toMatchObject({
      reason: 'storage-full',
      message: expect.stringMatching(/32 MB left/),
    });
    expect(a.stopped()!.manifest!.tracks[0]!.frames).toBe(2048);
  });

  it('answers storage with usage, quota and persistence', async () => {
    const a = tab(new MemoryOpfs(), new MemoryLocks(), async () => ({ usage: 5, quota: 100 }));
    expect(await a.request({ type: 'storage' }, 'storage')).toEqual({
      type: 'storage',
      storage: { usage: 5, quota: 100, persisted: true },
    });
  });
});

describe('RecorderCore: one writer per take', () => {
  it('a second tab cannot start, delete or recover a take another tab records; the recorder renames its own', async () => {
    const fs = new MemoryOpfs();
    const locks = new MemoryLocks();
    const a = tab(fs, locks);
    const b = tab(fs, locks);
    await a.start();
    await a.block(FIRST, 128);
    await b.start('t1');
    expect(b.posts).toContainEqual({
      type: 'error',
      request: 'start',
      message: 'A take with this id already exists.',
    });
    expect(await b.request({ type: 'delete', id: 't1' }, 'error', 'done')).toMatchObject({
      message: expect.stringMatching(/another tab/),
    });
    expect(await b.request({ type: 'recover', id: 't1' }, 'error', 'recovered')).toMatchObject({
      message: expect.stringMatching(/another tab/),
    });
    expect((await b.request({ type: 'list' }, 'takes')).takes[0]).toMatchObject({
      id: 't1',
      unfinished: false,
    });
    expect(await a.request({ type: 'delete', id: 't1' }, 'error', 'done')).toMatchObject({
      request: 'delete',
      message: expect.stringMatching(/being recorded/),
    });
    expect(
      await a.request(
        {
          type: 'start',
          take: {
            id: 't2',
            name: 'x',
            studio: { id: '', slug: '', name: '' },
            recordedBy: { userId: '', name: '' },
          },
          tapPort: b.tap.port2,
          netPort: null,
          clock: ANCHOR,
        },
        'error',
      ),
    ).toMatchObject({ request: 'start', message: 'A take is already being recorded.' });

    expect(await a.request({ type: 'rename', id: 't1', name: 'Groove' }, 'done')).toEqual({
      type: 'done',
      request: 'rename',
    });
    expect(diskManifest(fs, 't1')!.name).toBe('Groove');
    await a.request({ type: 'stop' }, 'stopped');
    expect(await b.request({ type: 'delete', id: 't1' }, 'done', 'error')).toEqual({
      type: 'done',
      request: 'delete',
    });
    expect((await b.request({ type: 'list' }, 'takes')).takes).toEqual([]);
  });

  it('dispose finishes the take and is idempotent', async () => {
    const fs = new MemoryOpfs();
    const a = tab(fs, new MemoryLocks());
    await a.start();
    await a.block(FIRST, 128);
    a.core.handle({ type: 'dispose' });
    a.core.dispose();
    expect(a.disposed).toBe(true);
    expect(a.posts.filter((m) => m.type === 'stopped')).toHaveLength(1);
    expect(diskManifest(fs, 't1')).toMatchObject({ state: 'complete', stopReason: 'stopped' });
  });
});

describe('addRange', () => {
  it('keeps ranges sorted and merged', () => {
    const r: Array<[number, number]> = [];
    addRange(r, 10, 20);
    addRange(r, 20, 30);
    addRange(r, 40, 50);
    addRange(r, 0, 5);
    addRange(r, 4, 11);
    addRange(r, 60, 60);
    expect(r).toEqual([
      [0, 30],
      [40, 50],
    ]);
  });
});
