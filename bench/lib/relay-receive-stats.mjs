/**
 * What one receiving player of `bench:relay` measured inside the window: one-way latency per frame
 * (arrival − the sender's stamp, both on the machine's monotonic clock), frames per sender (loss is
 * worked out by the parent against what each sender says it sent in the window), duplicates, and
 * frames whose relay source index named a different sender than an earlier frame on that index.
 *
 * A frame belongs to the window when its *send* stamp does, so a frame in flight when the window
 * closes still counts if it arrives during the drain.
 */
import { SeqSeen, readFrame } from './relay-frames.mjs';

export class ReceiveStats {
  /** @param {import('./relay-frames.mjs').LatencyHistogram} histogram shared by every receiver of one path in this process */
  constructor(histogram) {
    this.histogram = histogram;
    this.startUs = Infinity;
    this.endUs = -Infinity;
    /** sender index → frames received in the window */
    this.fromSender = new Map();
    /** @type {Map<number, SeqSeen>} */
    this.seen = new Map();
    /** source index → sender index first seen on it */
    this.sourceSender = new Map();
    this.duplicates = 0;
    this.misattributed = 0;
    this.foreign = 0;
    this.malformedBundles = 0;
    this.bundles = 0;
    this.bundledFrames = 0;
    this.bytesInWindow = 0;
    this.frame = { seq: 0, stampUs: 0, sender: 0 };
  }

  setWindow(startUs, endUs) {
    this.startUs = startUs;
    this.endUs = endUs;
  }

  /** Bytes of one message (bundle or direct frame) that arrived at `arrivalUs`. */
  countMessage(bytes, arrivalUs) {
    if (arrivalUs >= this.startUs && arrivalUs < this.endUs) this.bytesInWindow += bytes;
  }

  /** One frame at `at` of `bytes`; `source` is the relay's source index, or -1 on a direct path. */
  onFrame(bytes, at, length, source, arrivalUs) {
    const f = this.frame;
    if (!readFrame(bytes, at, length, f)) {
      this.foreign++;
      return;
    }
    if (source >= 0) {
      const known = this.sourceSender.get(source);
      if (known === undefined) this.sourceSender.set(source, f.sender);
      else if (known !== f.sender) this.misattributed++;
    }
    let seen = this.seen.get(f.sender);
    if (!seen) this.seen.set(f.sender, (seen = new SeqSeen()));
    if (!seen.mark(f.seq)) {
      this.duplicates++;
      return;
    }
    if (f.stampUs < this.startUs || f.stampUs >= this.endUs) return;
    this.fromSender.set(f.sender, (this.fromSender.get(f.sender) ?? 0) + 1);
    this.histogram.add(arrivalUs - f.stampUs);
  }

  toJSON() {
    return {
      fromSender: Object.fromEntries(this.fromSender),
      duplicates: this.duplicates,
      misattributed: this.misattributed,
      foreign: this.foreign,
      malformedBundles: this.malformedBundles,
      bundles: this.bundles,
      bundledFrames: this.bundledFrames,
      bytesInWindow: this.bytesInWindow,
    };
  }
}
