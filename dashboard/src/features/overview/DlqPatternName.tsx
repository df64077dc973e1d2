import { useOverview } from '../../api/queries.ts';
import { useRange } from '../../lib/url-state.ts';

/**
 * The glob of the topics the collector watches as DLQs, as it is configured (the overview's
 * setup facts, the same query the overview page makes for this range); words without the glob
 * until the answer is in, or when it cannot come.
 */
export function DlqPatternName() {
  const pattern = useOverview(useRange().seconds).data?.setup.dlqPattern;
  return pattern === undefined ? <>its DLQ pattern</> : <code>{pattern}</code>;
}
