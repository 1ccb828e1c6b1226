import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { goCommand } from './pocketbase.mjs';

/**
 * Runs `go test -json ./...` in `cwd`, saving the JSON events to `reportFile` for counting and echoing
 * the human lines (package results, failures) as they come. Resolves with the exit code.
 */
export function runGoTests({ cwd, reportFile }) {
  const out = createWriteStream(reportFile);
  return new Promise((resolve) => {
    const child = spawn(goCommand(), ['test', '-json', '-count=1', './...'], { cwd });
    let partial = '';
    child.stdout.on('data', (chunk) => {
      out.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const event = JSON.parse(line);
          if (event.Action === 'output' && /^(ok|FAIL|---|panic|\s+\S+_test\.go)/.test(event.Output ?? '')) {
            process.stdout.write(`  ${event.Output}`);
          }
        } catch {
          process.stdout.write(`${line}\n`); // build errors are not JSON
        }
      }
    });
    child.stderr.pipe(process.stderr);
    child.on('exit', (code) => out.end(() => resolve(code ?? 1)));
    child.on('error', (error) => {
      console.error(`cannot run go: ${error.message}`);
      out.end(() => resolve(127));
    });
  });
}

/** Counts passed and failed tests (not packages) in a `go test -json` report. */
export function countGoTests(reportFile) {
  let passed = 0;
  let failed = 0;
  try {
    for (const line of readFileSync(reportFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line);
      if (!event.Test) continue;
      if (event.Action === 'pass') passed++;
      if (event.Action === 'fail') failed++;
    }
  } catch {
    return null;
  }
  return { passed, failed };
}
