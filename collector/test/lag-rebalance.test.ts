/** Rebalance detection from group state and member changes (src/lag/rebalance.ts), as pure transitions. */
import { describe, expect, it } from 'vitest';
import { observeRebalance, type GroupObservation } from '../src/lag/rebalance.ts';
import type { RebalanceEvent } from '../src/lag/types.ts';

const obs = (time: number, state: string, ...members: string[]): GroupObservation => ({
  time,
  state,
  memberIds: new Set(members),
});

/** Feeds observations in order; returns completed events and what is open at the end. */
function run(...observations: GroupObservation[]) {
  let previous: GroupObservation | undefined;
  let open: RebalanceEvent | undefined;
  const completed: RebalanceEvent[] = [];
  for (const o of observations) {
    const step = observeRebalance(previous, open, o);
    open = step.open;
    if (step.completed) completed.push(step.completed);
    previous = o;
  }
  return { completed, open };
}

describe('rebalance detection', () => {
  it('a rebalance seen in progress is timed from first seen to first settled poll', () => {
    const { completed, open } = run(
      obs(1000, 'Stable', 'a'),
      obs(2000, 'PreparingRebalance', 'a', 'b'),
      obs(3000, 'CompletingRebalance', 'a', 'b'),
      obs(4000, 'Stable', 'a', 'b'),
    );
    expect(open).toBeUndefined();
    expect(completed).toEqual([
      { startedAt: 2000, endedAt: 4000, durationMs: 2000, detectedBy: 'state', membersBefore: 1, membersAfter: 2 },
    ]);
  });

  it('is open (no end yet) while the group is still rebalancing', () => {
    const { completed, open } = run(obs(1000, 'Stable', 'a'), obs(2000, 'PreparingRebalance', 'a'));
    expect(completed).toEqual([]);
    expect(open).toMatchObject({ startedAt: 2000, endedAt: null, detectedBy: 'state', membersBefore: 1 });
  });

  it('a member change between two settled polls is a rebalance of unknown duration', () => {
    const { completed } = run(obs(1000, 'Stable', 'a', 'b'), obs(2000, 'Stable', 'a', 'c'));
    expect(completed).toEqual([
      { startedAt: 1000, endedAt: 2000, durationMs: null, detectedBy: 'members', membersBefore: 2, membersAfter: 2 },
    ]);
  });

  it('the last member leaving (Stable -> Empty) and the first joining (Empty -> Stable) are rebalances', () => {
    const { completed } = run(obs(1000, 'Stable', 'a'), obs(2000, 'Empty'), obs(3000, 'Stable', 'b'));
    expect(completed.map((e) => [e.membersBefore, e.membersAfter])).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('no rebalance for the first observation, an unchanged member set, or an undescribed poll', () => {
    expect(run(obs(1000, 'Stable', 'a')).completed).toEqual([]);
    expect(run(obs(1000, 'Stable', 'a', 'b'), obs(2000, 'Stable', 'b', 'a')).completed).toEqual([]);
    // Unknown (describe failed) says nothing by itself.
    expect(observeRebalance(obs(1000, 'Stable', 'a'), undefined, obs(2000, 'Unknown'))).toEqual({
      open: undefined,
      completed: undefined,
    });
  });
});
