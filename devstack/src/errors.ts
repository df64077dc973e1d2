/** Stable error codes for devstack failures; every message names the problem and where to look. */
export type DevstackErrorCode =
  | 'TOOL_MISSING'
  | 'PORT_TAKEN'
  | 'START_FAILED'
  | 'START_TIMEOUT'
  | 'RESOLVE_FAILED'
  | 'INSTALL_FAILED'
  | 'COMMAND_FAILED'
  | 'BAD_ARGUMENT'
  /** A start interrupted by Ctrl-C or SIGTERM. */
  | 'ABORTED';

export class DevstackError extends Error {
  readonly code: DevstackErrorCode;
  /** A log file worth reading to understand the failure, when there is one. */
  readonly logFile: string | undefined;

  constructor(code: DevstackErrorCode, message: string, options: { cause?: unknown; logFile?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DevstackError';
    this.code = code;
    this.logFile = options.logFile;
  }
}
