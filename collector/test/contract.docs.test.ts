/**
 * docs/event-contract.md against @eventscope/contract: every name in the code is in the page,
 * in the table it belongs to, and every name the page's tables list is in the code. A name
 * renamed on one side only fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ATTR,
  CLOUDEVENTS_HEADER,
  DEFAULT_SAGA_TERMINAL_TYPES,
  DLQ_HEADER,
  DLQ_REDRIVE_HEADER,
  HEADER,
  OUTCOMES,
  capturedHeaderAttribute,
} from '@eventscope/contract';
import { loadConfig } from '../src/config.ts';

const DOC = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'event-contract.md'),
  'utf8',
);

/** The backticked names in the first column of the table under the `## heading`. */
function firstColumn(heading: string): string[] {
  const start = DOC.indexOf(`\n## ${heading}\n`);
  expect(start, `section "${heading}" in docs/event-contract.md`).toBeGreaterThanOrEqual(0);
  const rest = DOC.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.split('|')[1] ?? '';
    // `a`, `b` lists several names; `name` = `value` names one (the value is not a name).
    for (const part of cell.split(',')) {
      const m = /`([^`]+)`/.exec(part);
      if (m?.[1] !== undefined) names.push(m[1]);
    }
  }
  return names;
}

describe('docs/event-contract.md and @eventscope/contract', () => {
  it('lists exactly the envelope headers (plus the W3C trace context ones)', () => {
    expect(firstColumn('Kafka record envelope').sort()).toEqual(
      [...Object.values(HEADER), 'traceparent', 'tracestate'].sort(),
    );
  });

  it('lists exactly the DLQ headers', () => {
    expect(firstColumn('Dead-letter records').sort()).toEqual(Object.values(DLQ_HEADER).sort());
  });

  it('lists exactly the headers of redriven records', () => {
    expect(firstColumn('Redriven records').sort()).toEqual(Object.values(DLQ_REDRIVE_HEADER).sort());
  });

  it('lists exactly the span attributes the demo writes', () => {
    // operation.type is named in the prose (send/process), the rest in the table.
    const documented = firstColumn('Span attributes').sort();
    const inCode = Object.values(ATTR)
      .filter((a) => a !== ATTR.operationType)
      .sort();
    expect(documented).toEqual(inCode);
  });

  it('names every declared outcome and the default terminal event types', () => {
    const outcomes = DOC.slice(DOC.indexOf('`eventscope.outcome`'));
    for (const o of OUTCOMES.filter((x) => x !== 'failed')) expect(outcomes).toContain(`\`${o}\``);
    for (const [type] of DEFAULT_SAGA_TERMINAL_TYPES) expect(DOC).toContain(`\`${type}\``);
  });

  it('states the captured-header defaults the config applies', () => {
    const config = loadConfig({});
    expect(config.envelopeEventIdHeaders).toEqual([HEADER.eventId, CLOUDEVENTS_HEADER.eventId]);
    expect(config.envelopeEventTypeHeaders).toEqual([HEADER.eventType, CLOUDEVENTS_HEADER.eventType]);
    expect(DOC).toContain(`\`${HEADER.eventId}\`, CloudEvents \`${CLOUDEVENTS_HEADER.eventId}\``);
    expect(DOC).toContain(`\`${HEADER.eventType}\`, CloudEvents \`${CLOUDEVENTS_HEADER.eventType}\``);
    expect(DOC).toContain(`\`${capturedHeaderAttribute(HEADER.eventId)}\``);
  });
});
