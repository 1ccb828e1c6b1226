import { afterEach, describe, expect, it } from 'vitest';
import { PacketFlag, type PacketMeta } from '../../protocol/audio-layout';
import type { FromNet } from '../../protocol/recording';
import { RecordForwarder, type SourceClock } from './record-forward';

/** The recorder's end of the net port. */
function port() {
  const messages: FromNet[] = [];
  const transfers: unknown[][] = [];
  const p = {
    closed: false,
    postMessage(message: FromNet, transfer: Transferable[]) {
      messages.push(message);
      transfers.push(transfer);
    },
    close() {
      p.closed = true;
    },
  };
  return { port: p, messages, transfers, chunks: () => messages.flatMap((m) => m.chunks) };
}

const meta = (senderTime: number, over: Partial<PacketMeta> = {}): PacketMeta => ({
  seq: 0,
  senderTime,
  arrivalTime: 1000 + senderTime / 48,
  frameSamples: 120,
  channels: 1,
  flags: 0,
  ...over,
});
/** Planes whose sample i of the frame starting at senderTime s is s + i (left) and −(s + i) (right). */
const planes = (s: number) => [
  Float32Array.from({ length: 480 }, (_, i) => s + i),
  Float32Array.from({ length: 480 }, (_, i) => -(s + i)),
];

let forwarder: RecordForwarder | null = null;
afterEach(() => forwarder?.close());

function make(clocks: Record<string, SourceClock | null>) {
  const p = port();
  forwarder = new RecordForwarder({
    port: p.port,
    clockOf: (key) => clocks[key] ?? null,
    toEpoch: (t) => 1_700_000_000_000 + t,
    batchMs: 60_000, // flushed by hand here
  });
  return { forwarder, ...p };
}

describe('RecordForwarder', () => {
  it('joins contiguous frames and stamps the chunk with its first frame’s capture time on our clock', () => {
    const clock: SourceClock = {
      anchor: { senderTime: 48_000, epochMs: 5_000 },
      offsetMs: 123.4,
      uncertaintyMs: 0.2,
    };
    const { forwarder, chunks, transfers, messages } = make({ a: clock });
    for (let s = 96_000; s < 96_000 + 4 * 120; s += 120) forwarder.push('a', meta(s), planes(s));
    forwarder.flush();
    const [chunk] = chunks();
    // 48 000 samples after the anchor: one second later on the sender's clock, minus the offset.
    expect(chunk).toMatchObject({
      sourceKey: 'a',
      captureEpochMs: 5_000 + 1000 - 123.4,
      arrivalEpochMs: 1_700_000_000_000 + 1000 + 2000,
      uncertaintyMs: 0.2,
      frames: 480,
      channels: 1,
      concealed: false,
    });
    expect(Array.from(chunk!.samples)).toEqual(Array.from({ length: 480 }, (_, i) => 96_000 + i));
    expect(transfers[0]).toEqual([chunk!.samples.buffer]);
    forwarder.flush();
    expect(messages).toHaveLength(1); // nothing pending: nothing sent
  });

  it('moves decoded audio back by the codec delay (Opus hands each sample back 120 samples late)', () => {
    const clock: SourceClock = { anchor: { senderTime: 0, epochMs: 5_000 }, offsetMs: 0, uncertaintyMs: 0.2 };
    const { forwarder, chunks } = make({ a: clock });
    forwarder.push('a', meta(48_000), planes(48_000), 120);
    forwarder.flush();
    expect(chunks()[0]!.captureEpochMs).toBeCloseTo(6_000 - 2.5, 9);
  });

  it('starts a new chunk at a gap, a concealed frame, a channel change; interleaves stereo', () => {
    const { forwarder, chunks } = make({});
    forwarder.push('a', meta(0), planes(0));
    forwarder.push('a', meta(240), planes(240)); // frame 120…239 lost
    forwarder.push('a', meta(360, { flags: PacketFlag.Concealed }), planes(360));
    forwarder.push('a', meta(480, { flags: PacketFlag.Concealed }), planes(480));
    forwarder.push('a', meta(600, { flags: PacketFlag.Recovered }), planes(600));
    forwarder.push('a', meta(720, { channels: 2 }), planes(720));
    forwarder.push('b', meta(7), planes(7));
    forwarder.flush();
    expect(chunks().map((c) => [c.sourceKey, c.frames, c.channels, c.concealed, c.captureEpochMs])).toEqual([
      ['a', 120, 1, false, null],
      ['a', 120, 1, false, null],
      ['a', 240, 1, true, null],
      ['a', 120, 1, false, null],
      ['a', 120, 2, false, null],
      ['b', 120, 1, false, null],
    ]);
    const stereo = chunks()[4]!.samples;
    expect(Array.from(stereo.subarray(0, 4))).toEqual([720, -720, 721, -721]);
  });

  it('measures senderTime from the anchor across the 2^32 wrap', () => {
    const clock: SourceClock = {
      anchor: { senderTime: 0xffff_ff00, epochMs: 100 },
      offsetMs: 0,
      uncertaintyMs: 1,
    };
    const { forwarder, chunks } = make({ a: clock });
    forwarder.push('a', meta(0x100), planes(0));
    forwarder.flush();
    expect(chunks()[0]!.captureEpochMs).toBeCloseTo(100 + 0x200 / 48, 9);
  });

  it('cuts long runs into chunks of at most 100 ms, sends on its timer, and flushes on close', async () => {
    const p = port();
    forwarder = new RecordForwarder({ port: p.port, clockOf: () => null, toEpoch: (t) => t, batchMs: 5 });
    for (let s = 0; s < 50 * 120; s += 120) forwarder.push('a', meta(s), planes(s));
    while (p.messages.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(p.chunks().map((c) => c.frames)).toEqual([4800, 1200]);
    forwarder.push('a', meta(6000), planes(6000));
    forwarder.close();
    forwarder.close();
    expect(p.chunks().map((c) => c.frames)).toEqual([4800, 1200, 120]);
    expect(p.port.closed).toBe(true);
    forwarder.push('a', meta(6120), planes(6120));
    forwarder.flush();
    expect(p.messages).toHaveLength(2);
  });
});
