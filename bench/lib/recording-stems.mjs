/**
 * What a recorded stem says about the take, from its streaming scan (recording-signal.mjs), its entry in
 * the manifest, and the captured impulses of the player it belongs to: where it lies on the take, the
 * samples it lost, the bursts it misses, and how far each burst sits from where its sender captured it.
 *
 * Samples lost, per stem, inside the span the stem covers: runs of ≥ 1 ms of exact zeros (the take files
 * fill what never arrived with zeros; the test signal is never silent) outside the ranges the manifest
 * marks concealed, plus samples missing between two bursts (an interval shorter than a whole number of
 * burst periods: audio was dropped and the track closed up). Concealed samples count separately. The
 * stem's head (before its first sample) and tail (after its last) are reported, not counted as lost: a
 * remote stem starts with the first frame captured after the take began and ends with the last one that
 * arrived before it stopped, one network latency early.
 *
 * Seams: Chromium's fake microphone plays the signal file in a loop and pads each pass to its buffer
 * size with a few hundred samples (≈ 145 zeros and 276 samples in all per pass, seen on Chromium 156), so
 * the sender's own signal has an interval one seam longer than a period once per loop. Such an interval
 * (deviation +150…+400 samples) holding exactly one run of 100–400 zeros is counted as a seam, and
 * that run is the padding, not loss. A loss never lengthens an interval (the recorder keeps every sample at its place).
 */
const SEAM_MIN = 150;
const SEAM_MAX = 400;
import {
  absoluteErrors,
  localErrors,
  pairSelf,
  pairThroughReference,
  summariseErrors,
} from './recording-align.mjs';
import { burstGaps, zerosWithin } from './recording-signal.mjs';
import { upstreamLoss } from './recording-upstream.mjs';

/**
 * @typedef {import('../../src/lib/protocol/recording').TakeManifest} TakeManifest
 * @typedef {import('../../src/lib/protocol/recording').TakeTrack} TakeTrack
 * @typedef {import('./recording-signal.mjs').StemScan} StemScan
 * @typedef {import('./recording-align.mjs').Pair} Pair
 * @typedef {import('./recording-upstream.mjs').Interval} Interval
 * @typedef {Map<number, { deviation: number, periods: number, previousEpochMs: number }>} Deviations
 */

/**
 * @param {{ manifest: TakeManifest, track: TakeTrack, scan: StemScan, captured: number[] | null,
 *   reference?: Pair[] | null, periodSamples: number | null, sampleRate?: number, fileStart?: number,
 *   deviations?: Deviations | null, localUpstream?: Interval[] | null }}
 *   input `captured`: the player's captured-impulse epochs (null: no alignment check, e.g. the mix);
 *   `reference`: the self stem's pairs (its `alignment.pairs`), needed for a remote stem's alignment
 *   (recording-align.mjs says why); `periodSamples`: the burst
 *   period when the signal is strictly periodic (the benchmark's), null otherwise (Chromium's own fake
 *   beeps); `fileStart`: the take sample of the scanned file's first frame — the track's startSample for
 *   the raw take file (the default), 0 for an exported file (padded with silence up to the track's start);
 *   `deviations`: the player's captured intervals (recording-upstream.mjs), to tell upstream loss from
 *   the recording's; `localUpstream`: for a remote stem, the self stem's `upstreamIntervals`
 */
export function analyseStem({
  manifest,
  track,
  scan,
  captured,
  reference = null,
  periodSamples,
  sampleRate = 48_000,
  fileStart = track.startSample,
  deviations = null,
  localUpstream = null,
}) {
  const start = track.startSample;
  const end = fileStart + scan.frames;
  const concealed = track.concealed.map(
    ([a, b]) => /** @type {[number, number]} */ ([a - fileStart, b - fileStart]),
  );
  const concealedSamples = track.concealed.reduce((n, [a, b]) => n + Math.max(0, b - a), 0);
  // Zeros before the track's start are an exported file's padding, not loss (a file padded by more
  // than 1000 zero runs' worth is not something this reads); zero runs inside concealed ranges are
  // concealment.
  let zeroSamples =
    start > fileStart ? zerosWithin(scan.zeroRuns, start - fileStart, Infinity) : scan.zeroRunSamples;
  for (const [a, b] of concealed) zeroSamples -= zerosWithin(scan.zeroRuns, a, b);
  const gaps = periodSamples ? burstGaps(scan.onsets, periodSamples) : null;
  // A seam: an interval one seam long too long that holds the seam's zeros (100–400 of them).
  /** @type {Set<number>} */
  const seamAts = new Set();
  let seamZeros = 0;
  for (const g of gaps?.irregular ?? []) {
    if (g.deviation < SEAM_MIN || g.deviation > SEAM_MAX) continue;
    const begin = g.at - (periodSamples ?? 0) - g.deviation;
    const runs = scan.zeroRuns.filter(
      ([a, b]) => a >= begin && b <= g.at && b - a >= 100 && b - a <= SEAM_MAX,
    );
    if (runs.length !== 1) continue;
    seamAts.add(g.at);
    seamZeros += runs.reduce((n, [a, b]) => n + b - a, 0);
  }
  const isSeam = (/** @type {{ at: number }} */ g) => seamAts.has(g.at);
  const seams = [...seamAts];
  zeroSamples -= seamZeros;
  const droppedSamples = gaps ? gaps.irregular.reduce((n, g) => n + Math.max(0, -g.deviation), 0) : 0;
  const onsets = scan.onsets.map((i) => i + fileStart);
  const alignment = !captured
    ? null
    : track.kind === 'self'
      ? selfAlignment(onsets, manifest.startEpochMs, captured, sampleRate)
      : reference
        ? remoteAlignment(onsets, manifest.startEpochMs, captured, reference, sampleRate)
        : null;
  const upstream =
    alignment && deviations && periodSamples
      ? upstreamLoss({
          pairs: alignment.pairs,
          sender: deviations,
          local: track.kind === 'self' ? null : localUpstream,
          zeroRuns: scan.zeroRuns,
          fileStart,
          periodSamples,
          skip: new Set([...seamAts].map((at) => at + fileStart)),
        })
      : null;
  const samplesLost = zeroSamples + droppedSamples;
  return {
    id: track.id,
    kind: track.kind,
    name: track.name,
    channels: track.channels,
    startSample: start,
    /** Frames of the scanned file (from `fileStart`). */
    frames: scan.frames,
    /** Frames the manifest declares (as of its last write) vs the file's. */
    manifestFrames: track.frames,
    headFrames: start,
    tailFrames: manifest.durationFrames - end,
    peak: round(scan.peak, 4),
    rms: round(scan.rms, 4),
    samplesLost,
    /**
     * Of those, lost before the recorder saw them (null: not known), made up for later by a remote
     * stem catching up with a clock such a loss stepped, and lost by the recording
     * (recording-upstream.mjs).
     */
    samplesLostUpstream: upstream ? Math.min(samplesLost, upstream.samples) : null,
    samplesRealigned: upstream
      ? Math.min(Math.max(0, samplesLost - upstream.samples), upstream.realigned)
      : null,
    samplesLostRecording: upstream ? Math.max(0, samplesLost - upstream.samples - upstream.realigned) : null,
    upstreamIntervals: upstream ? upstream.intervals : null,
    zeroSamples,
    zeroRuns: scan.zeroRuns.slice(0, 20),
    droppedSamples,
    insertedSamples: gaps
      ? gaps.irregular.filter((g) => !isSeam(g)).reduce((n, g) => n + Math.max(0, g.deviation), 0)
      : 0,
    /** Loop seams of the fake microphone found in the stem, and the zeros they hold (not loss). */
    seams: seams.length,
    seamZeros,
    concealedSamples,
    bursts: scan.onsets.length,
    missingBursts: gaps ? gaps.missing : null,
    irregularIntervals: gaps ? gaps.irregular.slice(0, 20) : null,
    aligned: track.aligned,
    clockUncertaintyMs: track.clockUncertaintyMs,
    alignment,
  };
}

/**
 * @param {number[]} onsets
 * @param {number} startEpochMs
 * @param {number[]} captured
 * @param {number} sampleRate
 */
function selfAlignment(onsets, startEpochMs, captured, sampleRate) {
  const { pairs, unmatched } = pairSelf(onsets, startEpochMs, captured, { sampleRate });
  const local = localErrors(pairs, pairs, { sampleRate, self: true });
  return summary(pairs, unmatched, local, absoluteErrors(pairs, startEpochMs, sampleRate));
}

/**
 * @param {number[]} onsets
 * @param {number} startEpochMs
 * @param {number[]} captured
 * @param {Pair[]} reference
 * @param {number} sampleRate
 */
function remoteAlignment(onsets, startEpochMs, captured, reference, sampleRate) {
  const { pairs, unmatched } = pairThroughReference(onsets, captured, reference, { sampleRate });
  const local = localErrors(pairs, reference, { sampleRate });
  return summary(pairs, unmatched, local, absoluteErrors(pairs, startEpochMs, sampleRate));
}

/**
 * @param {Pair[]} pairs
 * @param {number} unmatched
 * @param {number[]} local
 * @param {number[]} absolute
 */
function summary(pairs, unmatched, local, absolute) {
  const s = summariseErrors(local);
  const r = (/** @type {number | null} */ x) => (x === null ? null : round(x, 3));
  return {
    /** Local errors (against the self stem's nearest burst): what lines the stems up. */
    count: s.count,
    medianMs: r(s.medianMs),
    p95AbsMs: r(s.p95AbsMs),
    maxAbsMs: r(s.maxAbsMs),
    unmatched,
    /** Every burst's local error, ms, in take order. */
    errorsMs: local.map((e) => round(e, 3)),
    /** Absolute errors (take clock read as wall time from startEpochMs): median and each, ms. */
    absoluteMedianMs: r(summariseErrors(absolute).medianMs),
    absoluteErrorsMs: absolute.map((e) => round(e, 3)),
    pairs,
  };
}

/**
 * @param {number} x
 * @param {number} digits
 */
function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
