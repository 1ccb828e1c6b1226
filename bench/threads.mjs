/**
 * `npm run bench:threads -- [seconds]`: CPU per Chromium thread over a window (default 15 s), from
 * /proc, % of one core, busiest first — run it beside `npm run bench:latency` to see which threads the
 * audio path competes with (docs/benchmarks.md, "UI cost"). Rows are process type : pid : thread name.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU ticks so far of every thread of every Chromium process, keyed by pid/tid. */
function sample() {
  const threads = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // the process ended while we looked
    }
    if (!/chrom/.test(cmdline)) continue;
    const type = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1]?.split('.').pop() ?? '';
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.set(`${pid}/${tid}`, {
          key: `${type}${sub}:${pid}:${name}`,
          ticks: Number(fields[11]) + Number(fields[12]),
        });
      } catch {
        // the thread ended while we looked
      }
    }
  }
  return threads;
}

const seconds = Math.max(1, Math.min(120, Number(process.argv[2]) || 15));
const before = sample();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const byThread = new Map();
for (const [id, { key, ticks }] of sample()) {
  const used = ticks - (before.get(id)?.ticks ?? ticks);
  byThread.set(key, (byThread.get(key) ?? 0) + (used / TICKS_PER_SECOND / seconds) * 100);
}
const rows = [...byThread].sort((a, b) => b[1] - a[1]);
const total = rows.reduce((sum, [, pct]) => sum + pct, 0);
console.log(`Chromium, ${seconds} s: ${total.toFixed(1)} % of one core`);
for (const [key, pct] of rows.slice(0, 30)) console.log(`${pct.toFixed(1).padStart(6)}  ${key}`);
