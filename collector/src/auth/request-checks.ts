/**
 * Checks of where a request comes from, before who sends it: the Host header (against DNS
 * rebinding: a page of evil.example whose name resolves to 127.0.0.1 talks to the collector as
 * "evil.example") and the Origin of state changes (against cross-site request forgery).
 */
import { isIP } from 'node:net';

/** Host names a loopback listener always answers to. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** Whether the listeners bind to loopback only (127.0.0.0/8, ::1, localhost; unset: Node's default, all addresses). */
export function isLoopbackBind(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** The host name of a Host header, lower-cased, without port or IPv6 brackets; undefined when malformed. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  let url: URL;
  try {
    url = new URL(`http://${header}`);
  } catch {
    return undefined;
  }
  // A Host header is host[:port] and nothing else.
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return undefined;
  }
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * A Host check, or undefined when none applies: on a loopback bind every request's Host must
 * be a loopback name or an allowed host; on another bind only once allowed hosts are set.
 */
export function hostChecker(
  bindHost: string | undefined,
  allowedHosts: readonly string[],
): ((hostHeader: string | undefined) => boolean) | undefined {
  if (!isLoopbackBind(bindHost) && allowedHosts.length === 0) return undefined;
  const allowed = new Set<string>(LOOPBACK_NAMES);
  for (const h of allowedHosts) allowed.add(h.replace(/^\[|\]$/g, '').toLowerCase());
  return (header) => {
    const name = hostName(header);
    if (name === undefined) return false;
    if (allowed.has(name)) return true;
    // All of 127.0.0.0/8 is this machine.
    return isIP(name) === 4 && name.startsWith('127.');
  };
}

/**
 * Whether a state change may come from where its Origin (or, without one, its Referer) says:
 * the collector's own origin (same host and port as the Host header) or an allowed origin.
 * Requests with neither header (curl, scripts, machine clients) pass: browsers send Origin on
 * every cross-origin POST, PUT and DELETE. `Origin: null` (sandboxed frames, some redirects) fails.
 */
export function originAllowed(
  origin: string | undefined,
  referer: string | undefined,
  hostHeader: string | undefined,
  allowedOrigins: ReadonlySet<string>,
): boolean {
  const source = origin ?? referer;
  if (source === undefined) return true;
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (allowedOrigins.has(url.origin)) return true;
  if (hostHeader === undefined) return false;
  // The scheme is not compared: behind a TLS-terminating proxy the collector sees http.
  return url.host === hostHeader.toLowerCase() || url.host === normalizedHost(hostHeader);
}

/** A Host header as URL.host spells it (default ports dropped, lower case). */
function normalizedHost(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).host;
  } catch {
    return undefined;
  }
}

/**
 * Content types a cross-site HTML form (or a fetch without a CORS preflight) can send. No state
 * change takes one: the API's bodies are JSON, so refusing these closes the CSRF path even for a
 * browser that sends neither Origin nor Referer.
 */
const FORM_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

export function isFormContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  return FORM_TYPES.has(type);
}
