/** What every benchmark's JSON records about the machine it ran on (plus the caller's own facts). */
import { cpus, release, totalmem } from 'node:os';

/** @param {Record<string, unknown>} [extra] */
export function machineInfo(extra = {}) {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    ...extra,
  };
}
