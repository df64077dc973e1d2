/**
 * Errors of the demo services, each with a stable code and whether a retry can help.
 * The consumer runtime retries `retryable` errors with backoff and dead-letters the rest at once.
 */
export class DemoError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.retryable = retryable;
    this.name = new.target.name;
  }
}

/** A configuration value is invalid; the process must not start. */
export class ConfigError extends DemoError {
  constructor(message: string) {
    super('CONFIG', message, false);
  }
}

/** A record cannot be decoded (not Avro in the Confluent wire format, unknown schema, missing headers). Never retried. */
export class DecodeError extends DemoError {
  constructor(message: string, options?: ErrorOptions) {
    super('DECODE', message, false, options);
  }
}

/** A failure that may go away (a busy database, an injected fault). Retried with backoff. */
export class TransientError extends DemoError {
  constructor(message: string, options?: ErrorOptions) {
    super('TRANSIENT', message, true, options);
  }
}

/**
 * The step that fails on purpose until it is fixed (see DemoConfig.poisonFixFile): a bug, so no
 * retry helps; the record goes to the DLQ at once and is redriven once the fix is in.
 */
export class PoisonError extends DemoError {
  constructor(message: string) {
    super('POISON', message, false);
  }
}

/** Whether a retry can help: our own errors say so; SQLite lock contention can; anything unknown is retried too. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DemoError) return error.retryable;
  return true;
}

export function errorClass(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.constructor.name : error.name;
  return typeof error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
