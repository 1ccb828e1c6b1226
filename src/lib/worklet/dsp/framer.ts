/**
 * Turns 128-sample render quanta into 120/240/480-sample interleaved frames (the wire's frame sizes),
 * through a preallocated per-channel ring. Tracks the capture sample index of every frame's first
 * sample, which becomes the frame's `senderTime`.
 */
const RING = 2048; // ≥ largest frame + one quantum, power of two

export class Framer {
  frameSamples: number;
  channels: number;
  /** Capture sample index (u32, wraps) of the next frame's first sample. */
  frameStart = 0;
  private readonly rings: Float32Array[];
  private write = 0;
  private read = 0;

  constructor(options: { frameSamples: number; channels: number }) {
    this.frameSamples = options.frameSamples;
    this.channels = options.channels;
    this.rings = [new Float32Array(RING), new Float32Array(RING)];
  }

  /** Changes the frame size; buffered samples are kept, so the sample stream stays continuous. */
  setFrameSamples(frameSamples: number): void {
    this.frameSamples = frameSamples;
  }

  /** Samples per channel buffered, not yet framed. */
  get buffered(): number {
    return this.write - this.read;
  }

  /**
   * Appends one quantum. A missing input (no channels: device not started) counts as silence;
   * a mono input feeds both channels of a stereo framer.
   */
  push(inputs: readonly Float32Array[], n: number): void {
    const mask = RING - 1;
    for (let c = 0; c < this.channels; c++) {
      const src = inputs[c] ?? inputs[0];
      const ring = this.rings[c]!;
      let w = this.write;
      if (src) for (let i = 0; i < n; i++) ring[w++ & mask] = src[i]!;
      else for (let i = 0; i < n; i++) ring[w++ & mask] = 0;
    }
    this.write += n;
  }

  /** Pops one frame, interleaved, into `out` (≥ frameSamples × channels). False if not enough yet. */
  pop(out: Float32Array): boolean {
    const n = this.frameSamples;
    if (this.write - this.read < n) return false;
    const mask = RING - 1;
    const ch = this.channels;
    for (let c = 0; c < ch; c++) {
      const ring = this.rings[c]!;
      let r = this.read;
      for (let i = 0; i < n; i++) out[i * ch + c] = ring[r++ & mask]!;
    }
    this.read += n;
    this.frameStart = (this.frameStart + n) >>> 0;
    // Keep the counters small; both move together so their difference is preserved.
    if (this.read > 1 << 30) {
      this.write -= this.read;
      this.read = 0;
    }
    return true;
  }
}
