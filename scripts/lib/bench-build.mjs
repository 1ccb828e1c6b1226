/**
 * The bench build: the app plus the studio page's benchmark hooks (`?bench=1`, `impair=…`,
 * `transport=track`, `window.__bandmesh`), written to bench/build/ by `vite build` with
 * BANDMESH_BUILD=bench (svelte.config.js, vite.config.ts). The production build in build/ never holds
 * the hooks, so benchmarks serve this directory instead (`startStack({ publicDir: benchBuildDir })`).
 */
import { isStale } from './freshness.mjs';
import { step } from './log.mjs';
import { at, root } from './paths.mjs';
import { mustRun } from './run.mjs';

export const benchBuildDir = at('bench', 'build');

/** Builds the bench build now (`npm run build:bench`). */
export async function buildBench() {
  await mustRun(process.execPath, [at('node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
    cwd: root,
    env: { ...process.env, BANDMESH_BUILD: 'bench' },
  });
}

/** Builds the bench build when it is missing or older than its sources; returns its directory. */
export async function ensureBenchBuild() {
  const inputs = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((p) =>
    at(p),
  );
  if (isStale(at('bench', 'build', 'index.html'), inputs)) {
    step('Building the bench build of the web app (vite build, BANDMESH_BUILD=bench → bench/build/)');
    await buildBench();
  }
  return benchBuildDir;
}
