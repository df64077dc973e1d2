/**
 * The one place the dashboard talks HTTP. Turns the collector's JSON errors
 * (`{error, message, retryable?}`) and transport failures into an ApiError whose message a
 * person can act on.
 */
import { type ApiErrorBody } from './types.ts';

export class ApiError extends Error {
  /** HTTP status; 0 when the collector could not be reached at all. */
  readonly status: number;
  /** The collector's stable error code (NOT_FOUND, BAD_REQUEST, ...), or NETWORK / HTTP_<status>. */
  readonly code: string;
  readonly retryable: boolean;
  readonly path: string;

  constructor(status: number, code: string, message: string, path: string, retryable = false) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.path = path;
    this.retryable = retryable;
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ApiErrorBody).error === 'string' &&
    typeof (body as ApiErrorBody).message === 'string'
  );
}

/** Builds the error for a non-2xx answer; exported for tests. */
export function errorFromResponse(status: number, statusText: string, body: unknown, path: string): ApiError {
  if (isErrorBody(body)) {
    const retryable = body.retryable ?? status >= 500;
    return new ApiError(status, body.error, body.message, path, retryable);
  }
  // Not the collector's JSON: typically the dev proxy answering for a collector that is down.
  if (status === 502 || status === 503 || status === 504) {
    return new ApiError(
      status,
      `HTTP_${status}`,
      `The collector did not answer (${status} ${statusText}). Start it with \`npm start\` and this page will retry.`,
      path,
      true,
    );
  }
  return new ApiError(
    status,
    `HTTP_${status}`,
    `The collector answered ${status} ${statusText} for ${path}.`,
    path,
    status >= 500,
  );
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The CSRF token of a single sign-on session (the collector's `eventscope_csrf` cookie, or
 * `__Host-eventscope_csrf` over https), sent back as `x-csrf-token` on state changes.
 */
export function csrfToken(
  cookies: string = typeof document === 'undefined' ? '' : document.cookie,
): string | undefined {
  for (const part of cookies.split(';')) {
    const i = part.indexOf('=');
    const name = part.slice(0, i).trim();
    if (name === 'eventscope_csrf' || name === '__Host-eventscope_csrf') return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * A request the collector has not answered in this long fails (a collector that is stopped,
 * not gone, or a proxy holding the connection): the page says so instead of loading forever.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

async function request<T>(method: 'GET' | 'POST', path: string, signal?: AbortSignal, body?: unknown): Promise<T> {
  let res: Response;
  const csrf = method === 'GET' ? undefined : csrfToken();
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  try {
    res = await fetch(path, {
      method,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: {
        ...(body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' }),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (timeout.aborted && !signal?.aborted) {
      throw new ApiError(
        0,
        'TIMEOUT',
        `The collector did not answer within ${REQUEST_TIMEOUT_MS / 1000} s. It may be stopped, overloaded or behind a stuck proxy.`,
        path,
        true,
      );
    }
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(
      0,
      'NETWORK',
      'Cannot reach the collector. Check that it is running (`npm start`) and that this page is served by it or by the Vite dev server.',
      path,
      true,
    );
  }
  const parsed = await readBody(res);
  if (!res.ok) throw errorFromResponse(res.status, res.statusText, parsed, path);
  return parsed as T;
}

export function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', path, signal);
}

export function apiPost<T>(path: string, body?: unknown): Promise<T> {
  return request<T>('POST', path, undefined, body ?? {});
}

/** Query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    sp.set(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}
