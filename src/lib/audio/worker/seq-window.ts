/**
 * Recognises frames already seen, by sequence number, so that a source fed by two transports at once
 * (a path switch, the SFU beside a direct channel) is decoded once per frame. Remembers the last
 * {@link SEQ_WINDOW} sequence numbers, each with its sender time: a frame is a duplicate only when
 * both match what its slot holds. Comparing the whole 32-bit seq makes the window wrap-around safe,
 * and the sender time tells a restarted stream's seq 0 (the encoder starts again at 0, the capture
 * clock does not) from the old stream's. A frame older than the window is passed on: it cannot be
 * told from a new one here, and the decoder or the jitter buffer drops it as late.
 * Fixed-size typed arrays: nothing is allocated per frame.
 */
export const SEQ_WINDOW = 1024;

export class SeqWindow {
  readonly #seqs = new Int32Array(SEQ_WINDOW);
  readonly #times = new Int32Array(SEQ_WINDOW);
  readonly #filled = new Uint8Array(SEQ_WINDOW);

  /** True when this frame was seen already; otherwise records it and returns false. */
  seen(seq: number, senderTime: number): boolean {
    const i = seq & (SEQ_WINDOW - 1);
    const s = seq | 0;
    const t = senderTime | 0;
    if (this.#filled[i] === 1 && this.#seqs[i] === s && this.#times[i] === t) return true;
    this.#filled[i] = 1;
    this.#seqs[i] = s;
    this.#times[i] = t;
    return false;
  }

  clear(): void {
    this.#filled.fill(0);
  }
}
