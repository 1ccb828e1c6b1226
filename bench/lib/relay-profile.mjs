/**
 * Reads the V8 CPU profile(s) a relay run with `--cpu-prof` wrote into a directory and says where its
 * JavaScript thread spent its busy time: self time per function (file:line), in % of the samples
 * that were not idle. A native call (a node-datachannel send, say) counts as the JS function that
 * made it, blocked time included — which is what the event loop pays.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} dir
 * @param {number} top how many functions to list
 * @returns {{ busyMs: number, idleMs: number, functions: { fn: string, pct: number }[] } | null}
 */
export function summariseProfiles(dir, top = 10) {
  let files;
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  } catch {
    return null;
  }
  if (files.length === 0) return null;
  const selfUs = new Map();
  let idleUs = 0;
  let busyUs = 0;
  for (const name of files) {
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    const keyOf = new Map();
    for (const node of profile.nodes) {
      const { functionName, url, lineNumber } = node.callFrame;
      const file = url ? url.slice(url.lastIndexOf('/') + 1) : '';
      keyOf.set(node.id, `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`);
    }
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      const key = keyOf.get(id) ?? '(unknown)';
      if (key === '(idle)') {
        idleUs += us;
        return;
      }
      busyUs += us;
      selfUs.set(key, (selfUs.get(key) ?? 0) + us);
    });
  }
  const functions = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, pct: Math.round((us / Math.max(1, busyUs)) * 1000) / 10 }));
  return { busyMs: Math.round(busyUs / 1000), idleMs: Math.round(idleUs / 1000), functions };
}
