import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withMatrix } from '../../scripts/lib/rules-matrix-doc.mjs';

describe('docs/pocketbase.md', () => {
  it('carries the current rules matrix (run node scripts/render-rules-matrix.mjs)', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'pocketbase.md'), 'utf8');
    expect(doc).toBe(withMatrix(doc));
  });
});
