import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The studio page's benchmark and impairment hooks (src/routes/s/[slug]/bench-hooks.ts) must be
 * reachable only in the bench build, never from a link a visitor is sent. This reads the production
 * build that `npm test` makes first (scripts/lib/setup.mjs) and fails if any of them survived:
 * `window.__bandmesh`, the `bench` / `impair` / `transport` query switches, or the impairment parser.
 * The bench build, when present, must contain them, which shows the search would find them.
 */
const PRODUCTION = 'build';
const BENCH = join('bench', 'build');

/** What the minified hooks look like (quotes may be ', " or `). */
const HOOKS: Array<[string, RegExp]> = [
  ['window.__bandmesh', /__bandmesh/],
  [
    'the bench/impair/transport query switches',
    /searchParams\s*\.\s*(has|get)\(\s*['"`](bench|impair|transport)['"`]/,
  ],
  ['the impairment parser', /\.get\(\s*['"`]loss['"`]\s*\)/],
];

function builtText(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.(js|html)$/.test(entry.name)) files.set(full, readFileSync(full, 'utf8'));
    }
  };
  visit(dir);
  return files;
}

function found(files: Map<string, string>): string[] {
  const hits: string[] = [];
  for (const [file, text] of files)
    for (const [what, pattern] of HOOKS) if (pattern.test(text)) hits.push(`${what} in ${file}`);
  return hits;
}

describe('the production build', () => {
  it('contains the studio page but none of the benchmark hooks', () => {
    expect(existsSync(join(PRODUCTION, 'index.html')), 'run `npm run build` (npm test does) first').toBe(
      true,
    );
    const files = builtText(PRODUCTION);
    // Not vacuous: the studio page's code is in there.
    expect([...files.values()].some((text) => text.includes('Copy invite link'))).toBe(true);
    expect(found(files)).toEqual([]);
  });

  it.skipIf(!existsSync(join(BENCH, 'index.html')))(
    'differs from the bench build, which has every hook',
    () => {
      const hits = found(builtText(BENCH)).map((hit) => hit.split(' in ')[0]);
      expect(new Set(hits)).toEqual(new Set(HOOKS.map(([what]) => what)));
    },
  );
});
