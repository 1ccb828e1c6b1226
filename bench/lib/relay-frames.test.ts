import { describe, expect, it } from 'vitest';
import { BundleWriter, readBundle, FRAME_SEQ_OFFSET, SEALED_FRAME_VERSION } from '../../src/lib/protocol/sfu';
import { SEALED_OVERHEAD_BYTES } from '../../src/lib/protocol/sealed-frame';
import {
  FRAME_BYTES,
  FrameWriter,
  LatencyHistogram,
  PAYLOAD_BYTES,
  SEAL_OVERHEAD_BYTES,
  SeqSeen,
  forEachBundled,
  readFrame,
} from './relay-frames.mjs';
import { ReceiveStats } from './relay-receive-stats.mjs';

describe('bench:relay frames', () => {
  it('are sealed frames of the real layout: version 3, seq at its offset, the real seal overhead', () => {
    expect(SEAL_OVERHEAD_BYTES).toBe(SEALED_OVERHEAD_BYTES);
    expect(FRAME_BYTES).toBe(16 + PAYLOAD_BYTES + SEALED_OVERHEAD_BYTES);
    const writer = new FrameWriter(7);
    writer.next(1);
    const frame = writer.next(123_456.5);
    expect(frame.length).toBe(FRAME_BYTES);
    expect(frame[0]).toBe(SEALED_FRAME_VERSION);
    expect(frame.readUInt32LE(FRAME_SEQ_OFFSET)).toBe(1);
    expect(frame.readUInt16LE(12)).toBe(120);
    const out = { seq: -1, stampUs: 0, sender: -1 };
    expect(readFrame(frame, 0, frame.length, out)).toBe(true);
    expect(out).toEqual({ seq: 1, stampUs: 123_456.5, sender: 7 });
    expect(readFrame(frame, 0, frame.length - 1, out)).toBe(false);
  });

  it('reads bundles the relay writes (BundleWriter), frame by frame, and rejects broken ones', () => {
    const a = Buffer.from(new FrameWriter(1).next(10));
    const b = Buffer.from(new FrameWriter(2).next(20));
    const bundleWriter = new BundleWriter();
    bundleWriter.add(5, a);
    bundleWriter.add(9, b);
    const bundle = Buffer.from(bundleWriter.take()!);
    const seen: [number, number][] = [];
    const out = { seq: 0, stampUs: 0, sender: 0 };
    expect(
      forEachBundled(bundle, (source, at, length) => {
        readFrame(bundle, at, length, out);
        seen.push([source, out.sender]);
      }),
    ).toBe(2);
    expect(seen).toEqual([
      [5, 1],
      [9, 2],
    ]);
    const parsed = readBundle(bundle);
    expect(parsed.ok && parsed.entries.map((e) => e.sourceIndex)).toEqual([5, 9]);
    expect(forEachBundled(bundle.subarray(0, bundle.length - 1), () => undefined)).toBe(-1);
    expect(forEachBundled(Buffer.from([0x90, 1]), () => undefined)).toBe(-1);
  });

  it('takes latency percentiles from a mergeable histogram (10 µs bins, upper edge)', () => {
    const one = new LatencyHistogram();
    const two = new LatencyHistogram();
    for (let i = 1; i <= 98; i++) one.add(500); // 0.5 ms
    two.add(2_995); // bin 299 → 3.00 ms
    two.add(9_000_000); // beyond the last bin: counted there
    two.add(-5); // a clock disagreement: counted apart
    one.merge(JSON.parse(JSON.stringify(two.toJSON())));
    expect(one.count).toBe(100);
    expect(one.negative).toBe(1);
    expect(one.percentileMs(50)).toBeCloseTo(0.51, 5);
    expect(one.percentileMs(99)).toBeCloseTo(3.0, 5);
    expect(one.percentileMs(100)).toBeCloseTo(2000, 5);
    expect(new LatencyHistogram().percentileMs(50)).toBeNaN();
  });

  it('counts a frame once per sender and seq, only when sent inside the window, and notices a source index that changes sender', () => {
    const histogram = new LatencyHistogram();
    const stats = new ReceiveStats(histogram);
    stats.setWindow(1_000, 2_000);
    const writer = new FrameWriter(3);
    const early = Buffer.from(writer.next(999));
    const inside = Buffer.from(writer.next(1_500));
    stats.onFrame(early, 0, early.length, 4, 1_200);
    stats.onFrame(inside, 0, inside.length, 4, 1_700);
    stats.onFrame(inside, 0, inside.length, 4, 1_800);
    const other = Buffer.from(new FrameWriter(8).next(1_600));
    stats.onFrame(other, 0, other.length, 4, 1_650);
    expect(stats.toJSON().fromSender).toEqual({ 3: 1, 8: 1 });
    expect(stats.duplicates).toBe(1);
    expect(stats.misattributed).toBe(1);
    expect(histogram.count).toBe(2);
    const seen = new SeqSeen();
    expect([seen.mark(65_537), seen.mark(65_537), seen.mark(65_538)]).toEqual([true, false, true]);
  });
});
