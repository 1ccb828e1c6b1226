/**
 * The Go build of PocketBase (pocketbase/ → pocketbase/bandmesh-pocketbase). Rebuilt when the
 * binary is missing or older than any Go source, go.mod or go.sum. Only node: builtins here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pocketBaseDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'pocketbase');

/** Absolute path of the built binary (git-ignored). */
export const pocketBaseBinary = join(pocketBaseDir, 'bandmesh-pocketbase');

const SKIP_DIRS = new Set(['pb_data', 'pb_hooks', 'pb_migrations', 'node_modules', '.git']);

/**
 * Newest mtime (ms) of *.go, go.mod and go.sum under `dir`.
 * @param {string} dir
 * @returns {number}
 */
function newestGoSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) newest = Math.max(newest, newestGoSource(path));
    } else if (entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.sum') {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** Why the binary needs building, or null when it is up to date. */
export function pocketBaseBuildReason() {
  let built;
  try {
    built = statSync(pocketBaseBinary).mtimeMs;
  } catch {
    return 'the binary does not exist yet';
  }
  return newestGoSource(pocketBaseDir) > built ? 'Go sources changed since the last build' : null;
}

/**
 * The Go command: `go` on PATH, else the usual install location of the official tarball
 * (/usr/local/go/bin/go), which non-login shells and CI often leave off PATH.
 */
export function goCommand() {
  if (spawnSync('go', ['version']).status === 0) return 'go';
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

function goAvailable() {
  const probe = spawnSync(goCommand(), ['version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/**
 * Builds the binary when missing or stale. Exits the process with a clear message when Go is not
 * installed, and rejects when the build fails.
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function ensurePocketBaseBinary({ log = console.log } = {}) {
  const reason = pocketBaseBuildReason();
  if (!reason) {
    log(`PocketBase is up to date (${pocketBaseBinary})`);
    return pocketBaseBinary;
  }
  const go = goAvailable();
  if (!go) {
    console.error(
      'Go is not installed or not on PATH: it is needed to build PocketBase (pocketbase/).\n' +
        'Install Go 1.25 or newer from https://go.dev/dl/ (or your package manager), then run npm run setup again.',
    );
    process.exit(1);
  }
  log(
    `Building PocketBase because ${reason} (${go}); the first build compiles SQLite and takes a few minutes`,
  );
  log(`$ cd pocketbase && go build -o bandmesh-pocketbase .`);
  await new Promise((resolveBuild, reject) => {
    const child = spawn(goCommand(), ['build', '-o', 'bandmesh-pocketbase', '.'], {
      cwd: pocketBaseDir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolveBuild(undefined);
      else reject(new Error(`go build in pocketbase/ failed (${signal ?? `exit code ${code}`})`));
    });
  });
  // `go build` may leave an unchanged binary untouched; mark it fresh so the next check skips it.
  const now = new Date();
  utimesSync(pocketBaseBinary, now, now);
  log(`Built ${pocketBaseBinary}`);
  return pocketBaseBinary;
}
