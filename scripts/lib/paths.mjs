import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, whatever the current directory. */
export const root = fileURLToPath(new URL('../..', import.meta.url));
/** @param {string[]} parts */
export const at = (...parts) => join(root, ...parts);
