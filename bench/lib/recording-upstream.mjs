/**
 * Which of a stem's lost samples coincide with a glitch of the machine's audio input.
 *
 * Every page's capture worklet notes the exact context frame at which each burst entered its graph.
 * When a loaded machine's AudioContext falls behind, Chromium drops captured input to catch up (whole
 * 10 ms device buffers, seen on Chromium 156) or fills an input underrun with zeros; both happen
 * upstream of every worklet, so the capture worklet's own bursts show them: an interval between two
 * captured bursts that is no whole number of periods. Such a glitch loses audio before the recorder
 * could see it: at the sender, the audio was never captured (its stem, aligned by capture time, holds
 * zeros there); at the recording player, the take's clock lost that much wall time (every stem aligned
 * to it loses the same span).
 *
 * So an interval between two bursts of a stem that spans such a glitch — of the stem's own player (the
 * sender's captured interval between the same two bursts) or of the recording player (a captured
 * interval of its own overlapping it) — has its lost samples counted as upstream. A glitch also steps
 * the glitching context's clock, and a remote stem follows that step a few seconds later (the clock
 * estimates must first show it for good, alignment.ts): zeros or dropped samples where it moves, in
 * an interval of its own, up to the size of a glitch in the 10 s before, are counted as realignment.
 * Every other loss is the recording's, including everything in intervals the bursts cannot be paired
 * across. The rules go by coincidence, so they can only excuse loss where a glitch was measured.
 */

/**
 * @typedef {import('./recording-align.mjs').Pair} Pair
 * @typedef {{ at: number, deviation: number }} Interval an interval ending at take sample `at`
 */

/**
 * Deviation of each captured interval: the frames between successive captured bursts minus the whole
 * number of periods nearest it, keyed by the later burst's capture epoch.
 * @param {Array<{ epochMs: number, contextFrame: number }>} captured one page's captures, in order
 * @param {number} periodSamples
 * @returns {Map<number, { deviation: number, periods: number, previousEpochMs: number }>}
 */
export function capturedDeviations(captured, periodSamples) {
  const out = new Map();
  for (let i = 1; i < captured.length; i++) {
    const a = /** @type {{ epochMs: number, contextFrame: number }} */ (captured[i - 1]);
    const b = /** @type {{ epochMs: number, contextFrame: number }} */ (captured[i]);
    const frames = b.contextFrame - a.contextFrame;
    const periods = Math.max(1, Math.round(frames / periodSamples));
    out.set(b.epochMs, { deviation: frames - periods * periodSamples, periods, previousEpochMs: a.epochMs });
  }
  return out;
}

/**
 * Lost samples of a stem in intervals that span an upstream glitch (see the top of this file).
 * @param {{ pairs: Pair[], sender: Map<number, { deviation: number, periods: number,
 *   previousEpochMs: number }>, local: Interval[] | null, zeroRuns: Array<[number, number]>,
 *   fileStart: number, periodSamples: number, skip?: Set<number>, toleranceSamples?: number,
 *   realignSamples?: number }} input
 *   `pairs`: the stem's bursts paired with their captures; `sender`: capturedDeviations of the stem's
 *   player; `local`: for a remote stem, the recording player's glitches (the self stem's
 *   `upstreamIntervals`), null for the self stem; `zeroRuns`: the stem's scan runs (file coordinates,
 *   from `fileStart`); `skip`: intervals (by `at`) already accounted for (loop seams);
 *   `realignSamples`: how long after a glitch a remote stem's catching up is put down to it (10 s)
 * @returns {{ samples: number, realigned: number, intervals: Interval[] }} `samples`: lost in intervals
 *   spanning a glitch; `realigned`: a remote stem's later moves made up for by a glitch; `intervals`:
 *   those spanning a glitch of the stem's own player, with that glitch's deviation
 */
export function upstreamLoss({
  pairs,
  sender,
  local,
  zeroRuns,
  fileStart,
  periodSamples,
  skip = new Set(),
  toleranceSamples = 48,
  realignSamples = 480_000,
}) {
  let samples = 0;
  let realigned = 0;
  /** @type {Interval[]} */
  const intervals = [];
  /** Glitches a later move of the stem may still make up for: where, and how many samples are left. */
  const budgets = (local ?? []).map((e) => ({ at: e.at, left: Math.abs(e.deviation) }));
  for (let i = 1; i < pairs.length; i++) {
    const a = /** @type {Pair} */ (pairs[i - 1]);
    const b = /** @type {Pair} */ (pairs[i]);
    if (skip.has(b.sample)) continue;
    const captured = sender.get(b.captureEpochMs);
    // Only successive captures: a burst the stem misses leaves the interval unexplained.
    if (!captured || captured.previousEpochMs !== a.captureEpochMs) continue;
    const own = Math.abs(captured.deviation) > toleranceSamples;
    if (own) {
      intervals.push({ at: b.sample, deviation: captured.deviation });
      budgets.push({ at: b.sample, left: Math.abs(captured.deviation) });
    }
    const recorders = (local ?? []).some((e) => e.at > a.sample && e.at - periodSamples < b.sample);
    const dropped = Math.max(0, periodSamples * captured.periods - (b.sample - a.sample));
    const lost = dropped + zerosBetween(zeroRuns, a.sample, b.sample, fileStart);
    if (own || recorders) {
      samples += lost;
      continue;
    }
    // A remote stem catches up with a clock that stepped (its sender's or the take's) a few seconds
    // after the glitch that stepped it: that move, up to the glitch's size, is the glitch's too.
    let left = lost;
    for (const budget of budgets) {
      if (left === 0) break;
      if (local === null || budget.at >= b.sample || budget.at < b.sample - realignSamples) continue;
      const taken = Math.min(left, budget.left + toleranceSamples);
      budget.left = Math.max(0, budget.left - taken);
      left -= taken;
      realigned += taken;
    }
  }
  return { samples, realigned, intervals };
}

/**
 * Zeros of `runs` (file coordinates) between take samples `from` and `to`.
 * @param {Array<[number, number]>} runs
 * @param {number} from
 * @param {number} to
 * @param {number} fileStart
 */
function zerosBetween(runs, from, to, fileStart) {
  let total = 0;
  for (const [start, end] of runs)
    total += Math.max(0, Math.min(end + fileStart, to) - Math.max(start + fileStart, from));
  return total;
}
