import { Fragment } from 'react';

/**
 * A long Kafka name (`demo-x9uaqy2.orchestrator.dlq`) with line-break opportunities after
 * each `.`, `-` and `_`, so a narrow column wraps it between words instead of mid-word.
 */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[._-])/);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {p}
        </Fragment>
      ))}
    </>
  );
}
