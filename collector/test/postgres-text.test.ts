/**
 * The PostgreSQL store's text cleaning (postgres-queries.ts): `pgJson` writes rows without a
 * replacer unless the JSON holds an escape that may stand for a NUL or a lone surrogate, and must
 * come out as if every string had gone through `pgText`.
 */
import { describe, expect, it } from 'vitest';
import { pgJson, pgText } from '../src/store/postgres-queries.ts';

/** Every string cleaned one by one: what pgJson must equal. */
const slow = (rows: object[]): string =>
  JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'string' ? pgText(value) : value));

describe('pgJson', () => {
  it.each([
    ['plain text', { a: 'orders', n: 1, x: null }],
    ['a NUL', { a: 'x\u0000y' }],
    ['a lone high surrogate', { a: '\ud800z' }],
    ['a lone low surrogate at the end', { a: 'z\udfff' }],
    ['a paired surrogate (emoji)', { a: 'ok \ud83d\ude00' }],
    ['a literal backslash-u text', { a: 'plain\\u0000text', b: '\\ud800' }],
    ['__proto__ and constructor as values', { a: '__proto__', constructor: 'constructor' }],
  ])('equals cleaning every string: %s', (_name, row) => {
    const out = pgJson([row, row]);
    expect(out).toBe(slow([row, row]));
    // What PostgreSQL refuses never reaches it: no NUL escape, no lone surrogate escape.
    const parsed = JSON.parse(out) as Record<string, unknown>[];
    for (const v of Object.values(parsed[0] ?? {})) {
      if (typeof v === 'string') expect(v).toBe(pgText(v));
    }
  });

  it('turns NUL and lone surrogates into U+FFFD and keeps pairs', () => {
    expect(pgText('a\u0000b\ud800c\udc00d\ud83d\ude00')).toBe('a\ufffdb\ufffdc\ufffdd\ud83d\ude00');
    expect(pgText('plain')).toBe('plain');
  });
});
