/**
 * Everything `npm start` and `npm test` need before they run, each step skipped when already done:
 * npm dependencies, the Go build of PocketBase, the SPA build, the relay build, coturn (TURN), nginx
 * (the HTTPS front of npm run start:https; only mentioned, not required, when not root).
 * Uses only Node built-ins until the dependencies are installed.
 */
import { existsSync, statSync } from 'node:fs';
import { ensureCoturn } from './coturn.mjs';
import { ensureNginx } from './nginx.mjs';
import { ensurePocketBaseBinary } from './pocketbase.mjs';
import { isStale } from './freshness.mjs';
import { step, info } from './log.mjs';
import { at, root } from './paths.mjs';
import { mustRun } from './run.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export async function ensureDependencies() {
  const marker = at('node_modules', '.package-lock.json');
  const lock = at('package-lock.json');
  // Only the lock decides what is installed: an edit to package.json's scripts must not make
  // `npm ci` wipe node_modules under everything else running from this tree.
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  step('Installing npm dependencies (npm ci)');
  await mustRun(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root });
}

export async function ensureSpaBuild() {
  const inputs = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((p) =>
    at(p),
  );
  if (!isStale(at('build', 'index.html'), inputs)) return;
  step('Building the web app (vite build)');
  await mustRun(npm, ['run', '--silent', 'build'], { cwd: root });
}

export async function ensureRelayBuild() {
  const inputs = [at('relay', 'src'), at('relay', 'tsconfig.json'), at('src', 'lib', 'protocol')];
  if (!isStale(at('relay', 'dist', 'relay', 'src', 'main.js'), inputs)) return;
  step('Building the relay (tsc)');
  await mustRun(npm, ['run', '--silent', 'build:relay'], { cwd: root });
}

export async function setup() {
  await ensureDependencies();
  await ensurePocketBaseBinary({ log: info });
  await ensureSpaBuild();
  await ensureRelayBuild();
  await ensureCoturn();
  await ensureNginx();
}
