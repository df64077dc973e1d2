/** Stable error codes of the collector. `retryable` says whether trying again can help. */
export type CollectorErrorCode =
  | 'CONFIG_INVALID'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CLUSTER_NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ORIGIN_REFUSED'
  | 'HOST_REFUSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'OVERLOADED'
  | 'KAFKA_UNAVAILABLE'
  | 'STORE_FAILED'
  | 'SSO_UNAVAILABLE'
  | 'CONFLICT';

const STATUS: Record<CollectorErrorCode, number> = {
  CONFIG_INVALID: 500,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  /** `?cluster=` names no cluster of the config (the message lists the known ones). */
  CLUSTER_NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  /** Authenticated, but the role may not do this (or a resolver refused it, e.g. no CSRF token). */
  FORBIDDEN: 403,
  /** A state change from a foreign Origin/Referer (cross-site request forgery). */
  ORIGIN_REFUSED: 403,
  /** A Host header not among the allowed hosts while listening on loopback (DNS rebinding). */
  HOST_REFUSED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  OVERLOADED: 503,
  KAFKA_UNAVAILABLE: 503,
  STORE_FAILED: 500,
  SSO_UNAVAILABLE: 503,
  /** The request collides with work still running (a redrive of the same DLQ records). */
  CONFLICT: 409,
};

const RETRYABLE = new Set<CollectorErrorCode>(['OVERLOADED', 'KAFKA_UNAVAILABLE', 'SSO_UNAVAILABLE']);

export class CollectorError extends Error {
  readonly code: CollectorErrorCode;
  readonly statusCode: number;
  readonly retryable: boolean;

  constructor(code: CollectorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CollectorError';
    this.code = code;
    this.statusCode = STATUS[code];
    this.retryable = RETRYABLE.has(code);
  }
}

export const badRequest = (message: string): CollectorError => new CollectorError('BAD_REQUEST', message);
export const notFound = (message: string): CollectorError => new CollectorError('NOT_FOUND', message);
