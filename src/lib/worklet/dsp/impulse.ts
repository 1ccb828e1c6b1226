/**
 * Threshold-and-hold-off impulse detector for the latency benchmark: the benchmark plays short clicks
 * (≤ 4 per second); the first sample whose magnitude crosses the threshold is the onset, and further
 * crossings within the hold-off belong to the same click.
 */
export class ImpulseDetector {
  threshold: number;
  holdoffSamples: number;
  private holdoff = 0;

  constructor(options: { threshold?: number; holdoffSamples?: number } = {}) {
    this.threshold = options.threshold ?? 0.5;
    this.holdoffSamples = options.holdoffSamples ?? 4800;
  }

  /** Scans `n` samples; returns the onset's index in this block, or −1. At most one onset per call. */
  process(samples: Float32Array, n: number): number {
    let i = 0;
    if (this.holdoff > 0) {
      if (this.holdoff >= n) {
        this.holdoff -= n;
        return -1;
      }
      i = this.holdoff;
      this.holdoff = 0;
    }
    const t = this.threshold;
    for (; i < n; i++) {
      const x = samples[i]!;
      if (x > t || x < -t) {
        this.holdoff = Math.max(0, this.holdoffSamples - (n - i));
        return i;
      }
    }
    return -1;
  }

  reset(): void {
    this.holdoff = 0;
  }
}
