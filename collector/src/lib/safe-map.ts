/**
 * Maps keyed by data from outside (header names, error classes, attribute keys, event types).
 * A plain object used as a map inherits `constructor`, `toString`, `__proto__` ...: a key named
 * like one of them reads a function, and `obj[key] = v` with `__proto__` replaces the prototype.
 * That broke the product three times (event types, span kinds, DLQ error classes). Use a `Map`
 * inside; where a JSON response needs an object, build one with `dictFrom` (no prototype, own
 * keys only). eslint.config.js forbids the risky patterns in collector/src and points here.
 */

/** An empty object without a prototype: `d[key]` is only ever what was put there. */
export function dict<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** A prototype-free object with the entries of a Map (or any entries), for a JSON response. */
export function dictFrom<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out = dict<V>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** `map.get(key)`, or what `make()` makes, put there first. */
export function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

/** How many items have each key. */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** `obj[key]` when `key` is the object's own property, else undefined (never an inherited member). */
export function ownGet<V>(obj: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
