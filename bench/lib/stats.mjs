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

/**
 * The longest concealed gap of one stream over a measured window, from polls of the receiver's
 * diagnostics. Each poll gives the stream's last completed second of the playback clock (`gapSecond`)
 * and the longest gap that ended in it (`lastSecondLongestGapMs`); polled at least once a second, every
 * second is seen. The window counts the whole seconds after the one in progress when it opened (that
 * one began during the warm-up): seconds ≥ `openSecond + 2`, where `openSecond` is the `gapSecond` read
 * when the window opened.
 * @param {number} openSecond
 * @param {Array<{ gapSecond: number, lastSecondLongestGapMs: number }>} polls in any order
 * @returns {{ longestMs: number, seconds: number, missedSeconds: number }} the longest gap (0 if none),
 *   the seconds measured, and the seconds in the window no poll saw (polled too rarely)
 */
export function windowLongestGap(openSecond, polls) {
  const first = openSecond + 2;
  const seen = new Map();
  for (const { gapSecond, lastSecondLongestGapMs } of polls) {
    if (gapSecond >= first) seen.set(gapSecond, lastSecondLongestGapMs);
  }
  if (seen.size === 0) return { longestMs: 0, seconds: 0, missedSeconds: 0 };
  const last = Math.max(...seen.keys());
  return {
    longestMs: Math.max(...seen.values()),
    seconds: seen.size,
    missedSeconds: last - first + 1 - seen.size,
  };
}
