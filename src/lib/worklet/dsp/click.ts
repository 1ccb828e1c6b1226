/**
 * The metronome click, rendered sample-accurately on the audio thread from the shared timeline.
 *
 * The main thread maps the timeline onto this context's frames (`beatZeroFrame`, `framesPerBeat`) and
 * refreshes the mapping a few times a second as the clock estimates move; here each beat b sounds at
 * frame ceil(beatZeroFrame + b × framesPerBeat), so every player rounds the same way. Beats before
 * `firstBeat` (before the count-in) are silent. Both click sounds are computed once in the constructor:
 * `render()` only reads tables and writes into the output, so it never allocates.
 */

/** Click length: short enough that one never overlaps the next even at 300 BPM. */
const CLICK_MS = 25;
const ACCENT_HZ = 1760;
const BEAT_HZ = 1175;
/** Peak level before the user's click gain (a click cuts through at well under full scale). */
const CLICK_PEAK = 0.5;

function clickTable(sampleRate: number, hz: number): Float32Array {
  const n = Math.round((CLICK_MS * sampleRate) / 1000);
  const table = new Float32Array(n);
  const decay = 5 / n;
  for (let i = 0; i < n; i++) {
    // A 1 ms attack ramp avoids a step (a broadband tick) at the onset; then an exponential decay.
    const attack = Math.min(1, i / (sampleRate / 1000));
    table[i] = CLICK_PEAK * attack * Math.exp(-decay * i) * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  }
  return table;
}

export interface ClickTimeline {
  running: boolean;
  /** Context frame (fractional) of beat 0. */
  beatZeroFrame: number;
  /** Context frames per beat (fractional). */
  framesPerBeat: number;
  beatsPerBar: number;
  /** The first beat that sounds. */
  firstBeat: number;
  /** Linear gain. */
  gain: number;
}

export class ClickTrack implements ClickTimeline {
  running = false;
  beatZeroFrame = 0;
  framesPerBeat = 24_000;
  beatsPerBar = 4;
  firstBeat = 0;
  gain = 0.5;
  readonly #accent: Float32Array;
  readonly #beat: Float32Array;
  #table: Float32Array | null = null;
  #pos = 0;
  /** The last beat started (so a remapping that moves a beat by a frame cannot start it twice). */
  #lastBeat = Number.NEGATIVE_INFINITY;

  constructor(sampleRate: number) {
    this.#accent = clickTable(sampleRate, ACCENT_HZ);
    this.#beat = clickTable(sampleRate, BEAT_HZ);
  }

  /** Takes a new mapping (validated by the caller). A stop lets the click sounding now ring out. */
  set(timeline: ClickTimeline): void {
    if (!timeline.running || timeline.firstBeat !== this.firstBeat) this.#lastBeat = Number.NEGATIVE_INFINITY;
    this.running = timeline.running;
    this.beatZeroFrame = timeline.beatZeroFrame;
    this.framesPerBeat = timeline.framesPerBeat;
    this.beatsPerBar = timeline.beatsPerBar;
    this.firstBeat = timeline.firstBeat;
    this.gain = timeline.gain;
  }

  /** The frame beat `beat` sounds at. */
  onset(beat: number): number {
    return Math.ceil(this.beatZeroFrame + beat * this.framesPerBeat);
  }

  /**
   * Adds the click for frames [currentFrame, currentFrame + n) into `left`/`right` (the same array for
   * mono). Returns the beat whose click started in this block (its onset is `onset(beat)`), else NaN.
   */
  render(left: Float32Array, right: Float32Array, n: number, currentFrame: number): number {
    let started = Number.NaN;
    let startAt = n;
    if (this.running && this.framesPerBeat > 0) {
      const end = currentFrame + n;
      // framesPerBeat ≫ a block: at most one onset per block, found among two candidate beats.
      for (let b = Math.floor((currentFrame - 1 - this.beatZeroFrame) / this.framesPerBeat); ; b++) {
        const at = this.onset(b);
        if (at >= end) break;
        if (at >= currentFrame && b >= this.firstBeat && b > this.#lastBeat) {
          const bar = ((b % this.beatsPerBar) + this.beatsPerBar) % this.beatsPerBar;
          started = b;
          startAt = at - currentFrame;
          this.#lastBeat = b;
          this.#table = bar === 0 ? this.#accent : this.#beat;
          this.#pos = 0;
        }
      }
    }
    const table = this.#table;
    if (!table) return started;
    const g = this.gain;
    // Before a new onset, the previous click's tail (if any) finishes: it cannot still be sounding.
    const from = Number.isNaN(started) ? 0 : startAt;
    let pos = this.#pos;
    for (let i = from; i < n && pos < table.length; i++, pos++) {
      const v = table[pos]! * g;
      left[i] = left[i]! + v;
      if (right !== left) right[i] = right[i]! + v;
    }
    this.#pos = pos;
    if (pos >= table.length) this.#table = null;
    return started;
  }
}
