/**
 * Keeps a started stack running for `npm start` and `npm run start:https`: Ctrl-C (or SIGTERM)
 * stops every process once; if one server dies on its own, say so and stop the others.
 */
import { fail, ok, step } from './log.mjs';

/** @param {{ stop(): Promise<void>, processes: import('./process.mjs').ManagedProcess[] }} stack */
export function runUntilStopped(stack) {
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    step('Stopping…');
    await stack.stop();
    ok('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  for (const proc of stack.processes) {
    proc.exited.then(({ code, signal }) => {
      if (stopping) return;
      fail(`${proc.name} exited (${signal ?? code}); stopping.`);
      void stack.stop().then(() => process.exit(1));
    });
  }
}
