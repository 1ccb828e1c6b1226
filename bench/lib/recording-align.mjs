/**
 * Alignment of a recorded stem against what its sender's page reported. A burst found at take sample k
 * sits, on the recording player's clock, at `startEpochMs + k × 1000 / rate`; the sender's capture
 * worklet time-stamped the same burst when it entered its graph, at epoch E (the bench hooks'
 * `impulses` without a peer id). All pages run on one machine and share its wall clock, so the
 * difference is the stem's alignment error: 0 when the stem holds each sample at its capture time.
 */
/**
 * Pairs each onset with the sender's nearest captured impulse within `maxMatchMs` (bursts are ≥ 500 ms
 * apart, so the nearest is the same burst) and returns the errors, ms (stem − capture).
 * @param {number[]} onsets take samples (the track's file index + its startSample)
 * @param {number} startEpochMs the take's sample 0 on the recording player's clock
 * @param {number[]} captured the sender's captured-impulse epochs, ms, ascending or not
 * @param {{ sampleRate?: number, maxMatchMs?: number }} [options]
 */
export function alignmentErrors(
  onsets,
  startEpochMs,
  captured,
  { sampleRate = 48_000, maxMatchMs = 100 } = {},
) {
  const sorted = Float64Array.from(captured).sort();
  /** @type {Array<{ sample: number, epochMs: number, errorMs: number }>} */
  const matched = [];
  let unmatched = 0;
  for (const sample of onsets) {
    const epochMs = startEpochMs + (sample * 1000) / sampleRate;
    const nearest = nearestIn(sorted, epochMs);
    if (nearest === null || Math.abs(epochMs - nearest) > maxMatchMs) {
      unmatched++;
      continue;
    }
    matched.push({ sample, epochMs, errorMs: epochMs - nearest });
  }
  return { matched, unmatched };
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
