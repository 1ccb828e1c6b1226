/**
 * `npm test`: set up everything (dependencies, builds, Chromium), then run every suite — lint, type
 * checks, Go tests, unit, integration (real PocketBase and relay) and browser e2e — and report.
 * All suites run even when one fails, so one run shows every problem; the exit code is non-zero
 * if any failed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTool } from './lib/apt.mjs';
import { ensureBenchBuild } from './lib/bench-build.mjs';
import { ensureChromium } from './lib/chromium.mjs';
import { ensureFirefox } from './lib/firefox.mjs';
import { countGoTests, runGoTests } from './lib/go-test.mjs';
import { fail, ok, step } from './lib/log.mjs';
import { at, root } from './lib/paths.mjs';
import { run } from './lib/run.mjs';
import { setup } from './lib/setup.mjs';

const reports = mkdtempSync(join(tmpdir(), 'bandmesh-test-'));
const npx = (args, env = {}) => run('npx', args, { cwd: root, env: { ...process.env, ...env } });

/** Each suite: a name, how to run it, and (optionally) how to count its tests from a report. */
const suites = [
  { name: 'lint', run: () => npx(['eslint', '.']).then(async (c) => c || npx(['prettier', '--check', '.'])) },
  { name: 'types', run: () => run('npm', ['run', '--silent', 'check'], { cwd: root }) },
  {
    name: 'go',
    run: () => runGoTests({ cwd: at('pocketbase'), reportFile: join(reports, 'go.jsonl') }),
    count: () => countGoTests(join(reports, 'go.jsonl')),
  },
  ...['unit', 'integration'].map((project) => ({
    name: project,
    run: () =>
      npx([
        'vitest',
        'run',
        '--project',
        project,
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${join(reports, `${project}.json`)}`,
      ]),
    count: () => countVitest(join(reports, `${project}.json`)),
  })),
  {
    name: 'e2e',
    run: () => npx(['playwright', 'test'], { PLAYWRIGHT_JSON_OUTPUT_FILE: join(reports, 'e2e.json') }),
    count: () => countPlaywright(join(reports, 'e2e.json')),
  },
];

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function countVitest(file) {
  const report = readJson(file);
  return report ? { passed: report.numPassedTests, failed: report.numFailedTests } : null;
}

function countPlaywright(file) {
  const stats = readJson(file)?.stats;
  return stats ? { passed: stats.expected + stats.flaky, failed: stats.unexpected } : null;
}

try {
  await setup();
  // Before the suites: e2e serves it, and the production-build test checks it holds the hooks that
  // build/ must not.
  await ensureBenchBuild();
  await ensureChromium();
  // tests/e2e/firefox-chromium.spec.ts plays a Firefox ESR player through its own PulseAudio.
  await ensureFirefox();
  // tests/integration/account-data.test.ts reads data.db to prove a deleted account left nothing.
  await ensureTool('sqlite3');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

const results = [];
for (const suite of suites) {
  step(`Suite: ${suite.name}`);
  const code = await suite.run();
  results.push({ name: suite.name, code, counts: suite.count?.() ?? null });
}

console.log('');
let passed = 0;
let failed = 0;
for (const { name, code, counts } of results) {
  const detail = counts ? ` (${counts.passed} passed, ${counts.failed} failed)` : '';
  (code === 0 ? ok : fail)(`${name}${detail}`);
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  if (code !== 0 && (!counts || counts.failed === 0)) failed++;
}
rmSync(reports, { recursive: true, force: true });
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
