/** Console output for the project's scripts: short, prefixed, no colours when not a terminal. */
const tty = process.stdout.isTTY;
/** @param {string} code @param {string} text */
const paint = (code, text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);

/** @param {string} text */
export function step(text) {
  console.log(paint('1;36', `▸ ${text}`));
}

/** @param {string} text */
export function info(text) {
  console.log(`  ${text}`);
}

/** @param {string} text */
export function fail(text) {
  console.error(paint('1;31', `✖ ${text}`));
}

/** @param {string} text */
export function ok(text) {
  console.log(paint('1;32', `✔ ${text}`));
}
