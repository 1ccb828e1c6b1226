/**
 * Debian packages the project installs for itself (as root, the way CI runs). Only node: builtins.
 */
import { spawnSync } from 'node:child_process';
import { step } from './log.mjs';
import { mustRun } from './run.mjs';

/**
 * `apt-get install` one package, refreshing the package lists first only when apt knows no candidate.
 * @param {string} name
 */
export async function aptInstall(name) {
  step(`Installing Debian's ${name} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = spawnSync('apt-cache', ['policy', name], { encoding: 'utf8', env }).stdout ?? '';
  if (!/Candidate:\s*(?!\(none\))\S+/.test(policy)) await mustRun('apt-get', ['update', '-qq'], { env });
  await mustRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', name], { env });
}

/**
 * A command-line tool the tests need (e.g. sqlite3 to read data.db the way an operator would):
 * installed when missing and running as root, else the command to run.
 * @param {string} binary
 * @param {string} [pkg]
 */
export async function ensureTool(binary, pkg = binary) {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${binary} is missing. Install Debian's package:\n    sudo apt-get install -y ${pkg}`);
  }
  await aptInstall(pkg);
}
