/**
 * Structured JSON logging: one line per event on stdout (CloudWatch picks it
 * up). Callers pass only safe fields: never tokens, secrets, Authorization or
 * API key headers, or backend bodies.
 */
import type { LogLevel } from './config';

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined | readonly string[]>>;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LineSink = (line: string) => void;

const stdout: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * `context` adds fields to every line (the handlers add the serving policy's
 * `policyRevision`); a line's own fields win.
 */
export function createLogger(level: LogLevel, component: string, sink: LineSink = stdout, context?: () => LogFields): Logger {
  const write = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
    if (ORDER[at] < ORDER[level]) return;
    sink(JSON.stringify({ level: at, time: new Date().toISOString(), component, message, ...context?.(), ...fields }));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** Error name + message only (no stack with possibly sensitive locals, no cause chain bodies). */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message.slice(0, 500) };
  return { errorName: typeof error, errorMessage: String(error).slice(0, 500) };
}
