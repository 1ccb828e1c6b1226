import { spawn } from 'node:child_process';

/**
 * @typedef {object} ManagedProcess
 * @property {string} name
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited
 * @property {() => string} output the last lines it printed
 * @property {(graceMs?: number) => Promise<{ code: number | null, signal: NodeJS.Signals | null }>} stop
 */

/**
 * A long-running child process whose output is prefixed and kept (the last lines) for error messages.
 * stop() is idempotent: SIGTERM, then SIGKILL if it has not exited after `graceMs`.
 * @param {{ name: string, command: string, args: string[], env?: Record<string, string>, cwd?: string, quiet?: boolean }} options
 * @returns {ManagedProcess}
 */
export function startProcess({ name, command, args, env = {}, cwd, quiet = false }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {string[]} */
  const tail = [];
  /** @param {Buffer} chunk */
  const onData = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 200) tail.shift();
      if (!quiet) console.log(`[${name}] ${line}`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => {
      tail.push(`cannot start ${command}: ${error.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  /** @type {ReturnType<ManagedProcess['stop']> | null} */
  let stopping = null;
  return {
    name,
    exited,
    output: () => tail.join('\n'),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      })();
      return stopping;
    },
  };
}

/**
 * Polls an HTTP URL until it answers 2xx, the process exits, or the time runs out.
 * @param {string} url
 * @param {ManagedProcess} proc
 */
export async function waitForHttp(url, proc, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited before it was ready:\n${proc.output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${proc.output()}`);
}
