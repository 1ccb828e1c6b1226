/**
 * One track of a take on disk: a raw float32 interleaved file written through one
 * FileSystemSyncAccessHandle. Frame i of the file is take sample `startSample + i`; each write goes to
 * its own place (`(takeSample − startSample) × 4 × channels`), so a gap — a player away, a dropped tap
 * block — needs no filling: a write past the end grows the file with zeros (File System spec), and a
 * late write into a gap lands where it belongs. Nothing is buffered here, so nothing is held in memory.
 */
import { ShortWriteError, type OpfsSyncHandle } from './opfs';

const BYTES_PER_SAMPLE = 4;

export class TrackFile {
  readonly channels: 1 | 2;
  readonly #handle: OpfsSyncHandle;
  /** Take sample of the file's first frame; set by the first write (null before). */
  #startSample: number | null = null;
  /** Frames from the start to the furthest frame written. */
  #frames = 0;
  #closed = false;

  constructor(handle: OpfsSyncHandle, channels: 1 | 2) {
    this.#handle = handle;
    this.channels = channels;
  }

  get startSample(): number | null {
    return this.#startSample;
  }

  get frames(): number {
    return this.#frames;
  }

  get bytes(): number {
    return this.#frames * BYTES_PER_SAMPLE * this.channels;
  }

  /** Take sample just after the last frame written (null before the first write). */
  get end(): number | null {
    return this.#startSample === null ? null : this.#startSample + this.#frames;
  }

  /**
   * Writes `frames` interleaved frames (`this.channels` per frame) placed at take sample `takeSample`.
   * The first write fixes the file's start (never below 0); frames before the start are dropped (a
   * take has nothing before sample 0, and a stem nothing before its first frame). Returns the frames
   * written. Storage errors (QuotaExceededError) propagate: the recorder stops the take on them.
   */
  write(takeSample: number, samples: Float32Array, frames: number): number {
    if (this.#closed) throw new Error('track file is closed');
    if (!Number.isSafeInteger(takeSample) || !Number.isSafeInteger(frames) || frames <= 0) return 0;
    if (samples.length < frames * this.channels) throw new RangeError('fewer samples than frames');
    if (this.#startSample === null) {
      if (takeSample + frames <= 0) return 0;
      this.#startSample = Math.max(0, takeSample);
    }
    const skip = Math.max(0, this.#startSample - takeSample);
    if (skip >= frames) return 0;
    const first = takeSample + skip - this.#startSample;
    const count = frames - skip;
    const view = new Uint8Array(
      samples.buffer,
      samples.byteOffset + skip * this.channels * BYTES_PER_SAMPLE,
      count * this.channels * BYTES_PER_SAMPLE,
    );
    const at = first * this.channels * BYTES_PER_SAMPLE;
    const written = this.#handle.write(view, { at });
    if (written !== view.byteLength) {
      // Whatever part went in past the last whole write is cut off (shrinking needs no space).
      if (at + view.byteLength > this.bytes) this.#handle.truncate(this.bytes);
      throw new ShortWriteError(`short write: ${written} of ${view.byteLength} bytes`);
    }
    this.#frames = Math.max(this.#frames, first + count);
    return count;
  }

  flush(): void {
    if (!this.#closed) this.#handle.flush();
  }

  /** Flushes and releases the handle (so recovery, export or another tab can open the file). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#handle.flush();
    } finally {
      this.#handle.close();
    }
  }
}
