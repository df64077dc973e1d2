/**
 * JSON from outside is checked for nesting before it is parsed. JSON.parse of a 4 MB body of
 * nested arrays (`[[[[...`) or objects (`{"a":{"a":...`) held the event loop 1.1 s and took the
 * heap from 43 to 151 MB (8 MB, under the body limit: 2.9 s, 225 MB). One linear pass over the
 * bytes counts the depth outside strings and stops at the first level past the limit, so a
 * hostile body costs microseconds and a valid one a few milliseconds per megabyte.
 */
import type { FastifyInstance } from 'fastify';

/** OTLP/JSON needs about 10-12 levels, 40-odd with attribute values nested to the decoders' limit (8). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** The quote ending the string whose body starts at `from`: the next quote not escaped by a backslash; -1 if none. */
function stringEnd(bytes: Buffer, from: number): number {
  for (let q = bytes.indexOf(QUOTE, from); q !== -1; q = bytes.indexOf(QUOTE, q + 1)) {
    // Escaped when an odd number of backslashes stands right before it (`\"` ends the string, `\\"` does not).
    let backslashes = 0;
    while (q - 1 - backslashes >= from && bytes[q - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  return -1;
}

/**
 * What makes these JSON bytes too costly to parse (nested deeper than `maxDepth`), or undefined.
 * Not a validator: malformed JSON that is shallow passes, for JSON.parse to refuse. UTF-8 bytes of
 * characters past ASCII are all >= 0x80, so they never look like a quote or a bracket. Strings
 * (most of an OTLP body: ids, keys, values) are skipped with a native search for their closing
 * quote; only the bytes between them are looked at one by one.
 */
export function jsonDepthProblem(body: Uint8Array, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      const end = stringEnd(bytes, i + 1);
      if (end === -1) return undefined; // an unterminated string: shallow so far, JSON.parse refuses it
      i = end;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > maxDepth) {
        return `JSON nested deeper than ${maxDepth} levels (at byte ${i}); refused before parsing`;
      }
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return undefined;
}

/**
 * Replaces the app's JSON body parser with one that checks the depth first (400 with the reason),
 * then parses as Fastify does (its secure parser: `__proto__` and `constructor.prototype` refused).
 * Registered on the root instance before any route, so every JSON body of the API goes through it.
 */
export function guardJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const problem = jsonDepthProblem(body as Buffer);
    if (problem !== undefined) {
      done(Object.assign(new Error(problem), { statusCode: 400 }), undefined);
      return;
    }
    void parse(req, (body as Buffer).toString('utf8'), done);
  });
}
