/** Percentile (nearest rank) of numbers; NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Pairs every impulse a receiver heard from a sender with the sender's own capture of it: the latest
 * capture at or before the arrival, within `windowMs`. Returns one-way latencies in ms.
 * @param {Array<{ epochMs: number }>} sent the sender's capture impulses
 * @param {Array<{ epochMs: number }>} heard the receiver's impulses from that sender
 */
export function matchLatencies(sent, heard, windowMs = 400) {
  const sends = sent.map((s) => s.epochMs).sort((a, b) => a - b);
  const out = [];
  for (const { epochMs } of heard) {
    let best = -1;
    for (const t of sends) {
      if (t > epochMs) break;
      best = t;
    }
    if (best >= 0 && epochMs - best <= windowMs) out.push(epochMs - best);
  }
  return out;
}

/** The longest run of silence a receiver had between heard impulses beyond the expected period. */
export function longestGapMs(heard, periodMs) {
  const times = heard.map((h) => h.epochMs).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1] - periodMs);
  return Math.max(0, gap);
}
