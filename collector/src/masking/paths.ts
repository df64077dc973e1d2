/**
 * The JSON-path subset `maskFields` takes: `$` then steps `.name`, `['name']`, `[*]` (every
 * element of an array or member of an object) and `[n]` (one array element), e.g.
 * `$.card.number`, `$.items[*].price`, `$['odd key']`. Parsed once, at config time.
 */

export type PathStep = { kind: 'key'; name: string } | { kind: 'any' } | { kind: 'index'; index: number };

/** What a configured path must look like, for error messages. */
export const PATH_SYNTAX = "$ then .name, ['name'], [*] or [n] steps, e.g. $.card.number or $.items[*].email";

const STEP = /^(?:\.([A-Za-z_$][\w$-]*)|\.\*|\[\*\]|\[(\d{1,9})\]|\['((?:[^'\\]|\\.){1,200})'\])/;

/** The steps of a path, or a string saying what is wrong with it. */
export function parseFieldPath(path: string): PathStep[] | string {
  if (!path.startsWith('$')) return `field path ${JSON.stringify(path)} must start with $ (${PATH_SYNTAX})`;
  const steps: PathStep[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    if (!m)
      return `field path ${JSON.stringify(path)}: cannot read ${JSON.stringify(rest.slice(0, 40))} (${PATH_SYNTAX})`;
    if (m[1] !== undefined) steps.push({ kind: 'key', name: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: 'index', index: Number(m[2]) });
    else if (m[3] !== undefined) steps.push({ kind: 'key', name: m[3].replace(/\\(.)/g, '$1') });
    else steps.push({ kind: 'any' });
    rest = rest.slice(m[0].length);
  }
  if (steps.length === 0)
    return `field path ${JSON.stringify(path)} names no field: name the fields to mask (${PATH_SYNTAX})`;
  return steps;
}
