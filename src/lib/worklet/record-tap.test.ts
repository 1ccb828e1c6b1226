import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECORD_TAP_PROCESSOR_NAME } from '../protocol/audio-worklet.js';
import {
  TAP_BLOCK_FRAMES,
  TAP_BLOCK_QUANTA,
  TAP_POOL_SIZE,
  type FromTap,
  type TapBlock,
} from '../protocol/recording.js';
import { RecordTapEngine, registerRecordTapProcessor } from './record-tap-processor.js';
import { stubWorkletScope } from './worklet-harness.sim.js';

/**
 * The record tap's `process()` runs on the audio thread 375 times a second for as long as a take
 * lasts: it must allocate nothing but the one message per block. JavaScript cannot count allocations,
 * so this watches what a copy would reach for (typed-array views and copies, new typed arrays).
 */
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as Float32Array;

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** The recorder's end of the port: keeps what arrives (a copy of the reused message object). */
function recorderPort() {
  const received: FromTap[] = [];
  const port = {
    closed: false,
    onmessage: null as ((event: { data: unknown }) => void) | null,
    postMessage(message: unknown) {
      received.push({ ...(message as FromTap) });
    },
    close() {
      port.closed = true;
    },
    /** The recorder sends a block's buffers back. */
    giveBack(block: TapBlock) {
      port.onmessage?.({
        data: { type: 'tap-return', input: block.input, mix: block.mix, backing: block.backing },
      });
    },
  };
  const blocks = () => received.filter((m): m is TapBlock => m.type === 'tap-block');
  return { port, received, blocks };
}

/**
 * Quantum `q` of a test signal: the mic is L = q·1000 + i, R = −that; the mix L = i, R = q; the
 * backing track L = −i, R = q + 0.5.
 */
function quantum(q: number, micChannels: 1 | 2) {
  const l = Float32Array.from({ length: 128 }, (_, i) => q * 1000 + i);
  const r = Float32Array.from(l, (v) => -v);
  const mixL = Float32Array.from({ length: 128 }, (_, i) => i);
  const mixR = new Float32Array(128).fill(q);
  const trackL = Float32Array.from({ length: 128 }, (_, i) => -i);
  const trackR = new Float32Array(128).fill(q + 0.5);
  return [micChannels === 2 ? [l, r] : [l], [mixL, mixR], [trackL, trackR]];
}

function openTap(inputChannels: 1 | 2) {
  const tap = new RecordTapEngine({ inputChannels });
  const rec = recorderPort();
  tap.handle({ type: 'record-port', port: rec.port });
  return { tap, ...rec };
}

describe('RecordTapEngine', () => {
  it('cycles its pool through the recorder without allocating in process()', () => {
    const { tap, port, blocks } = openTap(2);
    const inputs = quantum(3, 2);
    const subarray = vi.spyOn(TypedArrayProto, 'subarray');
    const slice = vi.spyOn(TypedArrayProto, 'slice');
    let created = 0;
    const Real = Float32Array;
    const Counting = class extends Real {
      constructor(...args: ConstructorParameters<typeof Float32Array>) {
        super(...args);
        created++;
      }
    };
    let views = 0;
    let returned = 0;
    const quanta = TAP_BLOCK_QUANTA * TAP_POOL_SIZE * 4;
    for (let q = 0; q < quanta; q++) {
      vi.stubGlobal('Float32Array', Counting);
      tap.process(inputs, [], 1000 + q * 128);
      vi.unstubAllGlobals();
      views += subarray.mock.calls.length + slice.mock.calls.length;
      subarray.mockClear();
      slice.mockClear();
      // The recorder, in its own time, writes and returns each block (two blocks behind here).
      const sent = blocks();
      while (returned < sent.length - 2) port.giveBack(sent[returned++]!);
    }
    expect(views).toBe(0);
    expect(created).toBe(0);
    const sent = blocks();
    expect(sent).toHaveLength(TAP_POOL_SIZE * 4);
    expect(sent.map((b) => b.contextFrame)).toEqual(sent.map((_, k) => 1000 + k * TAP_BLOCK_FRAMES));
    // Only the pool's pairs are ever sent (those in use cycle; here three suffice).
    expect(new Set(sent.map((b) => b.input)).size).toBeLessThanOrEqual(TAP_POOL_SIZE);
    expect(new Set(sent.map((b) => b.mix)).size).toBe(3);
    expect(new Set(sent.map((b) => b.backing)).size).toBe(3);
    // The backing track went through the same path, interleaved: frame 7 of any quantum is (−7, 3.5).
    expect([sent.at(-1)!.backing[14], sent.at(-1)!.backing[15]]).toEqual([-7, 3.5]);
  });

  it('sends the microphone as captured and the mix as heard, stamped with the block’s first frame', () => {
    const stereo = openTap(2);
    const mono = openTap(1);
    for (let q = 0; q < TAP_BLOCK_QUANTA; q++) {
      stereo.tap.process(quantum(q, 2), [], 256 + q * 128);
      mono.tap.process(quantum(q, 2), [], 256 + q * 128);
    }
    const [s] = stereo.blocks();
    const [m] = mono.blocks();
    expect(s).toMatchObject({ contextFrame: 256, frames: TAP_BLOCK_FRAMES, inputChannels: 2 });
    expect(m).toMatchObject({ contextFrame: 256, frames: TAP_BLOCK_FRAMES, inputChannels: 1 });
    // Frame 5·128 + 7 is sample 7 of quantum 5.
    const f = 5 * 128 + 7;
    expect([s!.input[2 * f], s!.input[2 * f + 1]]).toEqual([5007, -5007]);
    expect(m!.input[f]).toBe(0); // a stereo mic on a mono stem: (L + R) / 2, as the capture node hears it
    expect([s!.mix[2 * f], s!.mix[2 * f + 1]]).toEqual([7, 5]);
    // The backing track alone, stereo whatever the microphone, sample-aligned with the mix.
    expect([s!.backing[2 * f], s!.backing[2 * f + 1]]).toEqual([-7, 5.5]);
    expect([m!.backing[2 * f], m!.backing[2 * f + 1]]).toEqual([-7, 5.5]);
    expect(m!.backing).toHaveLength(2 * TAP_BLOCK_FRAMES);
    expect(m!.input).toHaveLength(TAP_BLOCK_FRAMES);

    // A mono microphone on a stereo stem is copied to both channels; no input at all is silence.
    const up = openTap(2);
    for (let q = 0; q < TAP_BLOCK_QUANTA; q++) up.tap.process(q % 2 ? quantum(q, 1) : [[], []], [], q * 128);
    const [u] = up.blocks();
    expect([u!.input[2 * 128], u!.input[2 * 128 + 1]]).toEqual([1000, 1000]);
    expect([u!.input[0], u!.mix[1], u!.backing[0]]).toEqual([0, 0, 0]);
    // A mono backing bus is up-mixed (L = R); an unconnected one (no backing track) is zeros.
    const track = openTap(1);
    for (let q = 0; q < TAP_BLOCK_QUANTA; q++) {
      const [mic, mix] = quantum(q, 1);
      track.tap.process(q % 2 ? [mic!, mix!, [mix![0]!]] : [mic!, mix!, []], [], q * 128);
    }
    const [t] = track.blocks();
    expect([t!.backing[2 * 128 + 2 * 9], t!.backing[2 * 128 + 2 * 9 + 1]]).toEqual([9, 9]);
    expect(t!.backing.subarray(0, 2 * 128).every((v) => v === 0)).toBe(true);
  });

  it('drops and counts blocks while the pool is empty, and says so once buffers come back', () => {
    const { tap, port, blocks, received } = openTap(1);
    const inputs = quantum(1, 1);
    const run = (count: number, from: number) => {
      for (let q = 0; q < count * TAP_BLOCK_QUANTA; q++) tap.process(inputs, [], (from + q) * 128);
    };
    run(TAP_POOL_SIZE + 3, 0); // nobody returns anything: the last 3 blocks find no buffers
    expect(blocks()).toHaveLength(TAP_POOL_SIZE);
    expect(received.some((m) => m.type === 'tap-dropped')).toBe(false);
    port.giveBack(blocks()[0]!);
    run(1, (TAP_POOL_SIZE + 3) * TAP_BLOCK_QUANTA);
    expect(received.slice(-2)).toMatchObject([{ type: 'tap-dropped', blocks: 3 }, { type: 'tap-block' }]);
    // The block after the gap is stamped where it really starts.
    expect(blocks().at(-1)!.contextFrame).toBe((TAP_POOL_SIZE + 3) * TAP_BLOCK_FRAMES);
    // A buffer of the wrong size is not taken into the pool.
    port.onmessage?.({ data: { type: 'tap-return', input: new Float32Array(3), mix: new Float32Array(3) } });
    // Nor a set whose backing buffer is missing or of the wrong size (a confused or hostile sender).
    const [b0] = blocks();
    port.onmessage?.({ data: { type: 'tap-return', input: b0!.input, mix: b0!.mix } });
    port.onmessage?.({
      data: { type: 'tap-return', input: b0!.input, mix: b0!.mix, backing: new Float32Array(5) },
    });
    run(1, (TAP_POOL_SIZE + 4) * TAP_BLOCK_QUANTA);
    expect(blocks()).toHaveLength(TAP_POOL_SIZE + 1);
  });

  it('ends a block early when frames skip, and on stop sends what it has and lets the port go', () => {
    const { tap, port, blocks } = openTap(1);
    const inputs = quantum(0, 1);
    tap.process(inputs, [], 0);
    tap.process(inputs, [], 128);
    tap.process(inputs, [], 10_000); // the context skipped (suspended): a new block starts here
    tap.process(inputs, [], 10_128);
    expect(blocks()).toMatchObject([{ contextFrame: 0, frames: 256 }]);
    port.onmessage?.({ data: { type: 'tap-stop' } });
    expect(blocks()).toMatchObject([{ contextFrame: 0 }, { contextFrame: 10_000, frames: 256 }]);
    expect(port.closed).toBe(true);
    expect(port.onmessage).toBeNull();
    expect(tap.process(inputs, [], 10_256)).toBe(false);
    expect(blocks()).toHaveLength(2);
  });

  it('waits for its port, and stops for good on record-stop from the main thread', () => {
    const tap = new RecordTapEngine({ inputChannels: 1 });
    expect(tap.process(quantum(0, 1), [], 0)).toBe(true);
    tap.handle({ type: 'record-port', port: 'not a port' });
    tap.handle({ type: 'record-stop' });
    expect(tap.process(quantum(0, 1), [], 128)).toBe(false);
    const late = recorderPort();
    tap.handle({ type: 'record-port', port: late.port });
    expect(late.port.onmessage).toBeNull();
  });

  it('registers as bandmesh-record-tap in a worklet scope', () => {
    const { registered } = stubWorkletScope();
    registerRecordTapProcessor();
    expect(registered.has(RECORD_TAP_PROCESSOR_NAME)).toBe(true);
  });
});
