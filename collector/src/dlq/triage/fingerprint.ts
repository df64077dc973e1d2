/**
 * The cause of a DLQ record: its error class and a template of its message with what varies
 * from record to record (ids, numbers, uuids, hex, quoted values, times, addresses) replaced by
 * placeholders, so "order ord-81 not found" and "order ord-97 not found" are one cause.
 * Deterministic and free of state: the same input gives the same fingerprint in every collector.
 */
import { createHash } from 'node:crypto';

export interface Cause {
  /** Hex digest of the error class and the template (16 hex characters). */
  fingerprint: string;
  errorClass: string;
  template: string;
}

/** Longest template kept: a message of megabytes must not become a key of megabytes. */
export const MAX_TEMPLATE_LENGTH = 300;
/** Longest error class kept (header values come from outside). */
const MAX_CLASS_LENGTH = 200;

/**
 * Replacements in order: the wider shapes first, so a uuid is not read as numbers and words.
 * Each pattern matches whole tokens only (lookarounds on word characters).
 */
const RULES: readonly (readonly [RegExp, string])[] = [
  // Quoted values: 'abc', "abc", `abc` (what users put in messages is data, not the cause).
  [/'[^'\n]{0,200}'/g, "'<str>'"],
  [/"[^"\n]{0,200}"/g, '"<str>"'],
  [/`[^`\n]{0,200}`/g, '`<str>`'],
  // ISO 8601 date-times and dates.
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+\b/g, '<email>'],
  [/\b(?:https?|kafka|jdbc):\/\/[^\s'"`]+/gi, '<url>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '<ip>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // Hex strings (hashes, span ids) of 8 or more characters with at least one digit and one letter.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
  // Numbers: integers, decimals, negatives, with a unit glued on (250ms, 3s, 12.50EUR); also the
  // number of `ord-81`, `orders-3`, `cust_42` (the prefix names the kind, it stays).
  [/(?<![A-Za-z0-9<])-?\d+(?:\.\d+)?(?:[a-zA-Z%]{1,3})?(?![A-Za-z0-9>])/g, '<num>'],
  // Runs mixing letters and digits (9f3a, A1B2C3), except a short name with a version or width
  // at its end (int32, utf8, http2, IPv4, s3): that names a kind, not an instance.
  [
    /(?<![A-Za-z0-9<])(?![A-Za-z]{1,6}\d{1,2}(?![A-Za-z0-9]))(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]+(?![A-Za-z0-9>])/g,
    '<id>',
  ],
];

/** A Java-style first line, `com.acme.PaymentDeclinedException: message`, names its class. */
const JAVA_FIRST_LINE = /^((?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Exception|Error|Throwable|Failure))(?::\s*(.*))?$/;

/** A message's first line, cut long before any rule runs on it (a header may hold megabytes). */
const firstLineOf = (message: string): string => (message.split(/\r?\n/, 1)[0] ?? '').slice(0, MAX_TEMPLATE_LENGTH * 4);

/** The message's template: its first line, whitespace collapsed, variable parts replaced, clipped. */
export function messageTemplate(message: string): string {
  const firstLine = firstLineOf(message);
  let t = firstLine.replace(/\s+/g, ' ').trim();
  // Control characters and other odd bytes vary, say nothing about the cause.
  // eslint-disable-next-line no-control-regex
  t = t.replace(/[\u0000-\u001F\u007F\uFFFD]/g, '?');
  // Long runs are cut before the rules run, so the rules' cost is bounded too.
  if (t.length > MAX_TEMPLATE_LENGTH * 2) t = t.slice(0, MAX_TEMPLATE_LENGTH * 2);
  for (const [re, placeholder] of RULES) t = t.replace(re, placeholder);
  return t.length > MAX_TEMPLATE_LENGTH ? `${t.slice(0, MAX_TEMPLATE_LENGTH - 1)}…` : t;
}

/**
 * The cause of a record from its `dlq-error-class` and `dlq-error-message` headers. Without a
 * class header, a Java stack trace's first line (`pkg.SomeException: text`) gives the class;
 * a message that starts with its own class (`TransientError: text`) is read without it.
 */
export function causeOf(errorClass: string | null, errorMessage: string | null): Cause {
  let cls = errorClass?.trim() ?? '';
  let message = errorMessage ?? '';
  const m = JAVA_FIRST_LINE.exec(firstLineOf(message).trim());
  if (m?.[1] !== undefined && (cls === '' || cls === m[1] || cls === m[1].split('.').pop())) {
    cls ||= m[1];
    message = m[2] ?? '';
  }
  if (cls === '') cls = 'unknown';
  if (cls.length > MAX_CLASS_LENGTH) cls = cls.slice(0, MAX_CLASS_LENGTH);
  const template = messageTemplate(message);
  const fingerprint = createHash('sha256').update(cls).update('\u0000').update(template).digest('hex').slice(0, 16);
  return { fingerprint, errorClass: cls, template };
}
