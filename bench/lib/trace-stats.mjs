/**
 * How late each frame of a recorded trace arrived relative to the sender's clock (senderTime), after
 * removing the clock drift (a least-squares line) and the fastest arrival: the delay a jitter buffer
 * must cover to play every frame. Returns percentiles in ms.
 * @param {{ arrivalsUs: number[], senderTimes: number[] }} trace
 */
export function latenessPercentiles(trace) {
  const n = trace.arrivalsUs.length;
  const late = trace.arrivalsUs.map((a, i) => a / 1000 - trace.senderTimes[i] / 48);
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const x = trace.senderTimes[i] / 48;
    sx += x;
    sy += late[i];
    sxx += x * x;
    sxy += x * late[i];
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const detrended = late.map((v, i) => v - (slope * trace.senderTimes[i]) / 48);
  const min = Math.min(...detrended);
  const sorted = detrended.map((v) => v - min).sort((a, b) => a - b);
  const at = (q) => Math.round(sorted[Math.floor(q * (n - 1))] * 100) / 100;
  return {
    driftPpm: Math.round(slope * 1e6),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: at(1),
  };
}
