import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Newest modification time (ms) of the files under the given paths, skipping `skip` folder names.
 * @param {string[]} paths
 * @param {Set<string>} [skip]
 */
export function newestMtime(paths, skip = new Set(['node_modules', 'dist', 'pb_data', '.svelte-kit'])) {
  let newest = 0;
  /** @param {string} path */
  const visit = (path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (!skip.has(entry)) visit(join(path, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const path of paths) visit(path);
  return newest;
}

/**
 * True when `output` is missing or older than any file under `inputs`.
 * @param {string} output
 * @param {string[]} inputs
 */
export function isStale(output, inputs) {
  let built;
  try {
    built = statSync(output).mtimeMs;
  } catch {
    return true;
  }
  return newestMtime(inputs) > built;
}
