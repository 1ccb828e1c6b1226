/**
 * The recording page's renderer process, found and measured from /proc. Each browser context gets its
 * own renderer, and a page's dedicated Workers and AudioWorklet are threads of that process, so its CPU
 * time and RSS cover everything recording adds in the browser (the recorder Worker writes OPFS through
 * a sync access handle from its own thread).
 *
 * Which renderer is a page's: CDP reports no pid per target (SystemInfo.getProcessInfo lists processes
 * without saying which page each holds), so the page is made to spin for a moment and the renderer
 * whose CPU time grows by that much is its process; the runner-up must stay far below, or it fails.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const PAGE_SIZE = 4096;

/**
 * @param {number} pid
 * @returns {{ ppid: number, cpuSeconds: number, rssBytes: number } | null} null: the process is gone
 */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      rssBytes: Number(fields[21]) * PAGE_SIZE,
    };
  } catch {
    return null;
  }
}

/**
 * Browser processes started by `parentPid` (Playwright starts Chromium as a child of the process that
 * launches it; Debian's /usr/bin/chromium wrapper execs the binary, keeping the pid).
 * @param {number} parentPid
 */
export function childBrowserPids(parentPid) {
  /** @type {number[]} */
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (procStat(Number(entry))?.ppid === parentPid && /chrom/i.test(comm)) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * Renderer processes below `browserPid` (with --no-sandbox they hang off the zygote, not the browser).
 * @param {number} browserPid
 */
export function rendererPids(browserPid) {
  /** @type {Map<number, number>} */
  const parent = new Map();
  /** @type {number[]} */
  const renderers = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = procStat(pid);
    if (!stat) continue;
    parent.set(pid, stat.ppid);
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) renderers.push(pid);
    } catch {
      // gone
    }
  }
  return renderers.filter((pid) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === browserPid) return true;
    }
    return false;
  });
}

/**
 * The renderer process of `page`: the page spins its main thread for `spinMs` while every renderer's
 * CPU time is read before and after.
 * @param {import('@playwright/test').Page} page
 * @param {number} browserPid
 * @param {number} [spinMs]
 */
export async function rendererOf(page, browserPid, spinMs = 600) {
  let last = '';
  // CPU grown per renderer, summed over the attempts: other pages' audio grows theirs too, but only the
  // spinning page's renderer gains a spin each time, so it pulls ahead with every attempt.
  const total = new Map();
  for (let attempt = 1; attempt <= 6; attempt++) {
    const pids = rendererPids(browserPid);
    const before = new Map(pids.map((pid) => [pid, procStat(pid)?.cpuSeconds ?? 0]));
    await page.evaluate((ms) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // spin
      }
    }, spinMs);
    for (const pid of pids) {
      const grown = (procStat(pid)?.cpuSeconds ?? 0) - (before.get(pid) ?? 0);
      total.set(pid, (total.get(pid) ?? 0) + grown);
    }
    const grown = [...total]
      .map(([pid, seconds]) => ({ pid, seconds }))
      .sort((a, b) => b.seconds - a.seconds);
    const [best, second] = grown;
    last = grown.map((g) => `${g.pid}:${g.seconds.toFixed(2)}s`).join(' ');
    const spun = (attempt * spinMs) / 1000;
    if (best && best.seconds >= 0.3 * spun && (!second || best.seconds >= 1.8 * second.seconds)) {
      return best.pid;
    }
  }
  throw new Error(`could not tell which renderer runs the page (CPU grown per renderer: ${last})`);
}
