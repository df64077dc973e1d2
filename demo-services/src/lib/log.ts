import type { LogLevel } from '../config.ts';

/** A tiny logger: one line per event, prefixed with the service instance. No secrets are ever logged. */
export interface Log {
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export function createLog(name: string, level: LogLevel = 'info'): Log {
  const quiet = level === 'warn';
  const line = (level: string, message: string, extra: unknown[]): string =>
    `${new Date().toISOString()} ${level} [${name}] ${message}${extra.length ? ' ' + extra.map(fmt).join(' ') : ''}`;
  return {
    info: (m, ...e) => {
      if (!quiet) console.log(line('info', m, e));
    },
    warn: (m, ...e) => console.warn(line('warn', m, e)),
    error: (m, ...e) => console.error(line('error', m, e)),
  };
}

function fmt(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
