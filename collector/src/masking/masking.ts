/**
 * Masking of sensitive payload fields and headers (config `maskFields`, `maskHeaders`) in every
 * view of a record the API gives: a masked value is shown as `"***"`. Views are masked copies;
 * the records the collector keeps are never changed, so an operator's `?unmask=true` shows them.
 *
 * Payloads are masked after decoding (Avro through the registry, JSON). A value the collector
 * does not decode (text that is not JSON, bytes shown as base64, an Avro value without the
 * registry) is shown as before: a path means nothing in it. A value over the size shown whole is
 * shown as MASK while paths are set: its start may hold a masked field in clear.
 */
import { DLQ_HEADER, HEADER } from '@eventscope/contract';
import type { DlqRecord } from '../dlq/service.ts';
import { dict } from '../lib/safe-map.ts';
import { parseFieldPath, type PathStep } from './paths.ts';

/** What a masked value or header reads as. */
export const MASK = '***';

/**
 * Fields of a DLQ record view read from a header, named as the contract names the header
 * (`DLQ_HEADER.errorMessage` -> `errorMessage`): masked with the header (a number becomes null).
 */
const HEADER_FIELDS: readonly (readonly [header: string, field: string])[] = [
  ...Object.entries(DLQ_HEADER),
  ...Object.entries(HEADER),
].map(([field, header]) => [header, field] as const);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** A prototype-free copy of an object's own entries (a data key `__proto__` stays a key). */
function copyObject(v: Record<string, unknown>): Record<string, unknown> {
  const out = dict<unknown>();
  for (const k of Object.keys(v)) out[k] = v[k];
  return out;
}

/** `value` with what `steps` names replaced by MASK; copies only along the path, the input is untouched. */
function maskAt(value: unknown, steps: readonly PathStep[], i: number): unknown {
  const step = steps[i];
  if (step === undefined) return MASK;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    if (step.kind === 'any') return items.map((v) => maskAt(v, steps, i + 1));
    if (step.kind === 'index' && step.index < items.length) {
      const out = [...items];
      out[step.index] = maskAt(items[step.index], steps, i + 1);
      return out;
    }
    return value;
  }
  if (!isObject(value)) return value;
  if (step.kind === 'any') {
    const out = copyObject(value);
    for (const k of Object.keys(out)) out[k] = maskAt(out[k], steps, i + 1);
    return out;
  }
  if (step.kind === 'key' && Object.hasOwn(value, step.name)) {
    const out = copyObject(value);
    out[step.name] = maskAt(value[step.name], steps, i + 1);
    return out;
  }
  return value;
}

export class Masking {
  readonly #paths: readonly PathStep[][];
  /** Masked header names, lower-cased: `Email` and `email` are one header to a reader. */
  readonly #headers: ReadonlySet<string>;

  /** Paths and names as the config gives them (checked there: a bad path throws here too). */
  constructor(fields: readonly string[], headers: readonly string[]) {
    this.#paths = fields.map((f) => {
      const steps = parseFieldPath(f);
      if (typeof steps === 'string') throw new Error(steps);
      return steps;
    });
    this.#headers = new Set(headers.map((h) => h.toLowerCase()));
  }

  /** Whether anything is configured to be masked. */
  get active(): boolean {
    return this.#paths.length > 0 || this.#headers.size > 0;
  }

  isMaskedHeader(name: string): boolean {
    return this.#headers.has(name.toLowerCase());
  }

  /** A decoded payload with the configured fields masked (a copy where anything changed). */
  value(data: unknown): unknown {
    let out = data;
    for (const steps of this.#paths) out = maskAt(out, steps, 0);
    return out;
  }

  /** Headers (name -> text) with the configured ones masked, as a prototype-free copy. */
  headers(headers: Readonly<Record<string, string>>): Record<string, string> {
    const out = dict<string>();
    for (const name of Object.keys(headers)) out[name] = this.isMaskedHeader(name) ? MASK : (headers[name] ?? '');
    return out;
  }

  /** A masked copy of a DLQ record view: headers, the fields read from them, the decoded value. */
  dlqRecord<R extends DlqRecord>(r: R): R {
    if (!this.active) return r;
    const out: R = { ...r, headers: this.headers(r.headers) };
    const fields = out as unknown as Record<string, unknown>;
    for (const [name, field] of HEADER_FIELDS) {
      // Own fields only: `causationId` has no field in the view.
      if (!this.isMaskedHeader(name) || !Object.hasOwn(out, field) || fields[field] === null) continue;
      fields[field] = typeof fields[field] === 'number' ? null : MASK;
    }
    // A header error quotes the header's value: `dlq-attempts '1.5' is not a non-negative integer`.
    out.headerErrors = r.headerErrors.map((e) => {
      const name = e.split(' ', 1)[0] ?? '';
      return this.isMaskedHeader(name) ? e.replace(/^(\S+) '.*?' /s, `$1 '${MASK}' `) : e;
    });
    if (r.value.encoding === 'avro' || r.value.encoding === 'json') {
      out.value = { ...r.value, data: this.value(r.value.data) };
    } else if (r.value.truncated && this.#paths.length > 0) {
      // The start of a value too large to decode may hold a masked field in clear (a JSON body
      // padded past the size shown whole): withheld as a whole, `?unmask=true` shows it.
      out.value = { ...r.value, data: MASK };
    }
    return out;
  }

  /** Text of a header (an error message shown as a cause's sample): MASK when the header is masked. */
  headerText(name: string, text: string): string {
    return this.isMaskedHeader(name) ? MASK : text;
  }

  /** Values of one header gathered from many records (groups, topics): one MASK when it is masked. */
  headerValues(name: string, values: readonly string[]): string[] {
    return this.isMaskedHeader(name) && values.length > 0 ? [MASK] : [...values];
  }

  /** A DLQ summary's header-derived roll-ups: groups (`dlq-consumer-group`), error classes (`dlq-error-class`). */
  dlqSummary<S extends { groups: string[]; errorClasses: Record<string, number> }>(s: S): S {
    if (!this.isMaskedHeader(DLQ_HEADER.consumerGroup) && !this.isMaskedHeader(DLQ_HEADER.errorClass)) return s;
    const total = Object.values(s.errorClasses).reduce((a, b) => a + b, 0);
    const errorClasses = dict<number>();
    if (this.isMaskedHeader(DLQ_HEADER.errorClass)) {
      if (total > 0) errorClasses[MASK] = total;
    } else {
      for (const k of Object.keys(s.errorClasses)) errorClasses[k] = s.errorClasses[k] ?? 0;
    }
    return { ...s, groups: this.headerValues(DLQ_HEADER.consumerGroup, s.groups), errorClasses };
  }
}
