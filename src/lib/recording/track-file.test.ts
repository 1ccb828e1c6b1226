import { describe, expect, it } from 'vitest';
import { MemoryOpfs } from '../../../tests/support/opfs-memory';
import { TrackFile } from './track-file';

async function openTrack(fs: MemoryOpfs, channels: 1 | 2) {
  const file = await fs.root.getFileHandle('t.f32', { create: true });
  return new TrackFile(await file.createSyncAccessHandle(), channels);
}

const floats = (fs: MemoryOpfs) => {
  const bytes = fs.file('t.f32')!;
  return new Float32Array(bytes.slice().buffer);
};
const ramp = (n: number, from: number) => Float32Array.from({ length: n }, (_, i) => from + i);

describe('TrackFile', () => {
  it('writes each block at (takeSample − startSample) × 4 × channels; gaps read as zeros', async () => {
    const fs = new MemoryOpfs();
    const track = await openTrack(fs, 2);
    track.write(100, ramp(8, 1), 4); // frames 100..103 → file frames 0..3
    track.write(110, ramp(4, 50), 2); // frames 110..111 → file frames 10..11
    track.write(104, ramp(4, 20), 2); // a late block into the gap lands where it belongs
    expect(track.startSample).toBe(100);
    expect(track.frames).toBe(12);
    expect(track.end).toBe(112);
    expect(track.bytes).toBe(12 * 2 * 4);
    const data = floats(fs);
    expect(data.length).toBe(24);
    expect([...data.subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...data.subarray(8, 12)]).toEqual([20, 21, 22, 23]);
    expect([...data.subarray(12, 20)]).toEqual(new Array(8).fill(0));
    expect([...data.subarray(20, 24)]).toEqual([50, 51, 52, 53]);
  });

  it('drops frames before the start, and never starts before take sample 0', async () => {
    const fs = new MemoryOpfs();
    const track = await openTrack(fs, 1);
    expect(track.write(-10, ramp(5, 1), 5)).toBe(0); // wholly before sample 0
    expect(track.startSample).toBeNull();
    expect(track.write(-2, ramp(5, 1), 5)).toBe(3); // straddles 0: frames 0..2 kept
    expect(track.startSample).toBe(0);
    expect(track.write(-1, ramp(3, 10), 3)).toBe(2); // overlaps the start: frames 0..1 overwritten
    expect([...floats(fs)]).toEqual([11, 12, 5]);
  });

  it('writes from a view with an offset (the tap pool hands out subarrays)', async () => {
    const fs = new MemoryOpfs();
    const track = await openTrack(fs, 1);
    const pool = ramp(16, 0);
    track.write(0, pool.subarray(4, 8), 4);
    expect([...floats(fs)]).toEqual([4, 5, 6, 7]);
  });

  it('flush makes the written frames durable; close is idempotent and releases the file', async () => {
    const fs = new MemoryOpfs();
    const track = await openTrack(fs, 1);
    track.write(0, ramp(4, 1), 4);
    track.flush();
    track.write(4, ramp(4, 5), 4);
    fs.crash(); // the unflushed second block is gone
    expect([...floats(fs)]).toEqual([1, 2, 3, 4]);

    const fs2 = new MemoryOpfs();
    const track2 = await openTrack(fs2, 1);
    track2.write(0, ramp(2, 1), 2);
    track2.close();
    track2.close();
    expect(() => track2.write(2, ramp(2, 1), 2)).toThrow(/closed/);
    // Closing flushed, and the file can be opened again.
    fs2.crash();
    expect([...floats(fs2)]).toEqual([1, 2]);
    await expect((await fs2.root.getFileHandle('t.f32')).createSyncAccessHandle()).resolves.toBeDefined();
  });

  it('lets a quota error through and keeps its frame count at what was written', async () => {
    const fs = new MemoryOpfs({ quotaBytes: 40 });
    const track = await openTrack(fs, 1);
    track.write(0, ramp(8, 1), 8);
    expect(() => track.write(8, ramp(4, 1), 4)).toThrow(
      expect.objectContaining({ name: 'QuotaExceededError' }),
    );
    expect(track.frames).toBe(8);
    expect(floats(fs).length).toBe(8);
  });
});
