/**
 * Alignment of recorded stems against what the players' pages reported. Every page's capture worklet
 * notes the epoch E at which each burst of its microphone entered its graph (the bench hooks' `impulses`
 * without a peer id); all pages run on one machine and share its wall clock.
 *
 * The take's timeline is the recording player's AudioContext frames. Ideally take sample k lies at
 * `startEpochMs + k / rate` on the wall clock (the *absolute* error of a burst is that minus its E), but
 * an AudioContext on a loaded machine loses time against the wall clock (its device stalls, input is
 * dropped to catch up: tens of ms over 20 s on the 2-core test machine), and that shifts every stem
 * alike. What decides whether the stems line up in a DAW is where each burst sits relative to the
 * others, so the *local* error of a burst at take sample k with capture epoch E is measured against the
 * recording player's own nearest burst (k_r, E_r) in the self stem: `(k − k_r) / rate − (E − E_r)`.
 * For the self stem itself the nearest *other* self burst is the reference (a stem that kept its
 * samples in place scores 0). Bursts are paired with captures within `maxMatchMs` (200) of where the
 * running estimate (or the self stem's clock) puts them; bursts are ≥ 500 ms apart, so the pair is
 * unambiguous, and a take clock that jumps by less than that between two bursts is followed.
 */

/**
 * @typedef {{ sample: number, captureEpochMs: number }} Pair a burst's take sample and its capture epoch
 */

/**
 * Pairs the self stem's bursts with the recording player's captures, following the take clock's drift
 * from burst to burst (it may lose more than `maxMatchMs` over a long take, never between two bursts).
 * @param {number[]} onsets take samples, ascending
 * @param {number} startEpochMs the take's sample 0 on the recording player's clock
 * @param {number[]} captured that player's captured-impulse epochs, ms
 * @param {{ sampleRate?: number, maxMatchMs?: number }} [options]
 * @returns {{ pairs: Pair[], unmatched: number }}
 */
export function pairSelf(onsets, startEpochMs, captured, { sampleRate = 48_000, maxMatchMs = 200 } = {}) {
  const sorted = Float64Array.from(captured).sort();
  /** @type {Pair[]} */
  const pairs = [];
  let unmatched = 0;
  let drift = 0;
  for (const sample of onsets) {
    const guess = startEpochMs + (sample * 1000) / sampleRate - drift;
    const nearest = nearestIn(sorted, guess);
    if (nearest === null || Math.abs(guess - nearest) > maxMatchMs) {
      unmatched++;
      continue;
    }
    drift = startEpochMs + (sample * 1000) / sampleRate - nearest;
    pairs.push({ sample, captureEpochMs: nearest });
  }
  return { pairs, unmatched };
}

/**
 * Pairs a stem's bursts with its sender's captures, each burst's epoch estimated through the self
 * stem's nearest pair (the take clock as the recording player's own input shows it).
 * @param {number[]} onsets take samples
 * @param {number[]} captured the sender's captured-impulse epochs, ms
 * @param {Pair[]} reference the self stem's pairs, ascending by sample
 * @param {{ sampleRate?: number, maxMatchMs?: number }} [options]
 * @returns {{ pairs: Pair[], unmatched: number }}
 */
export function pairThroughReference(
  onsets,
  captured,
  reference,
  { sampleRate = 48_000, maxMatchMs = 200 } = {},
) {
  const sorted = Float64Array.from(captured).sort();
  /** @type {Pair[]} */
  const pairs = [];
  let unmatched = 0;
  for (const sample of onsets) {
    const r = nearestPair(reference, sample, false);
    const guess = r ? r.captureEpochMs + ((sample - r.sample) * 1000) / sampleRate : null;
    const nearest = guess === null ? null : nearestIn(sorted, guess);
    if (guess === null || nearest === null || Math.abs(guess - nearest) > maxMatchMs) {
      unmatched++;
      continue;
    }
    pairs.push({ sample, captureEpochMs: nearest });
  }
  return { pairs, unmatched };
}

/**
 * Local errors, ms, of `pairs` against the self stem's nearest pair (see the top of this file).
 * @param {Pair[]} pairs
 * @param {Pair[]} reference ascending by sample
 * @param {{ sampleRate?: number, self?: boolean }} [options] `self`: `pairs` are the reference's own
 */
export function localErrors(pairs, reference, { sampleRate = 48_000, self = false } = {}) {
  /** @type {number[]} */
  const errors = [];
  for (const p of pairs) {
    const r = nearestPair(reference, p.sample, self);
    if (!r) continue;
    errors.push(((p.sample - r.sample) * 1000) / sampleRate - (p.captureEpochMs - r.captureEpochMs));
  }
  return errors;
}

/**
 * Absolute errors, ms: `startEpochMs + k / rate − E` (the take clock taken as running at the wall
 * clock's rate; see the top of this file for why this is not what lines stems up).
 * @param {Pair[]} pairs
 * @param {number} startEpochMs
 * @param {number} [sampleRate]
 */
export function absoluteErrors(pairs, startEpochMs, sampleRate = 48_000) {
  return pairs.map((p) => startEpochMs + (p.sample * 1000) / sampleRate - p.captureEpochMs);
}

/**
 * @param {number[]} errorsMs
 * @returns {{ count: number, medianMs: number | null, p95AbsMs: number | null, maxAbsMs: number | null }}
 */
export function summariseErrors(errorsMs) {
  if (errorsMs.length === 0) return { count: 0, medianMs: null, p95AbsMs: null, maxAbsMs: null };
  const sorted = Float64Array.from(errorsMs).sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const abs = Float64Array.from(errorsMs, Math.abs).sort();
  return {
    count: errorsMs.length,
    medianMs: median,
    // Nearest rank.
    p95AbsMs: abs[Math.min(abs.length - 1, Math.ceil(0.95 * abs.length) - 1)] ?? null,
    maxAbsMs: abs[abs.length - 1] ?? null,
  };
}

/**
 * The pair nearest to `sample` (ascending `pairs`); with `skipSame`, never one at `sample` itself.
 * @param {Pair[]} pairs
 * @param {number} sample
 * @param {boolean} skipSame
 */
function nearestPair(pairs, sample, skipSame) {
  let lo = 0;
  let hi = pairs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (/** @type {Pair} */ (pairs[mid]).sample < sample) lo = mid + 1;
    else hi = mid;
  }
  let after = pairs[lo];
  if (skipSame && after?.sample === sample) after = pairs[lo + 1];
  const before = pairs[lo - 1];
  if (!after) return before ?? null;
  if (!before) return after;
  return sample - before.sample <= after.sample - sample ? before : after;
}

/**
 * @param {Float64Array} sorted
 * @param {number} x
 */
function nearestIn(sorted, x) {
  if (sorted.length === 0) return null;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (/** @type {number} */ (sorted[mid]) < x) lo = mid + 1;
    else hi = mid;
  }
  const after = sorted[lo];
  const before = sorted[lo - 1];
  if (after === undefined) return /** @type {number} */ (before);
  if (before === undefined) return after;
  return x - before <= after - x ? before : after;
}
