/**
 * Writes the rules matrix (tests/support/rules-matrix.mjs) into docs/pocketbase.md:
 *
 *   node scripts/render-rules-matrix.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withMatrix } from './lib/rules-matrix-doc.mjs';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'pocketbase.md');
writeFileSync(file, withMatrix(readFileSync(file, 'utf8')));
console.log(`wrote the rules matrix into ${file}`);
