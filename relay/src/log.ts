/**
 * Structured logging: one JSON object per line on stdout.
 *
 * Invariant: nothing personal is ever logged — no IP addresses, no ticket contents, no user ids or
 * names, no message payloads. Fields are limited to scalar values so a caller cannot accidentally
 * dump an object holding such data.
 */
export const LogLevel = {
  Debug: 'debug',
  Info: 'info',
  Warn: 'warn',
  Error: 'error',
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
  /** Lines below this level are skipped. */
  level?: LogLevel;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const minimum = levelRank[options.level ?? LogLevel.Info];
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, event: string, fields?: LogFields): void => {
    if (levelRank[level] < minimum) return;
    const line = JSON.stringify({ time: now().toISOString(), level, event, ...fields });
    // A broken stdout must not take the relay down with it; there is nowhere else to report to.
    try {
      write(`${line}\n`);
    } catch {
      /* logging is best effort by design */
    }
  };
  return {
    debug: (event, fields) => log(LogLevel.Debug, event, fields),
    info: (event, fields) => log(LogLevel.Info, event, fields),
    warn: (event, fields) => log(LogLevel.Warn, event, fields),
    error: (event, fields) => log(LogLevel.Error, event, fields),
  };
}

/** A logger that drops everything, for unit tests. */
export function silentLogger(): Logger {
  const nothing = (): void => undefined;
  return { debug: nothing, info: nothing, warn: nothing, error: nothing };
}
