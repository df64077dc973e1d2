/**
 * Rebalance detection from what the admin API shows. DescribeGroups carries no generation
 * id, so a rebalance is (a) the group seen in PreparingRebalance/CompletingRebalance, ended
 * by the first poll that sees it settled (duration = settled - first seen, to one poll
 * interval), or (b) a different member set between two settled polls (the whole rebalance
 * happened between them; duration unknown). Pure: the monitor keeps the state.
 */
import type { RebalanceEvent } from './types.ts';

/**
 * Classic groups rebalance in PreparingRebalance/CompletingRebalance; consumer-protocol
 * (KIP-848) and streams groups move through Assigning (a new target assignment) and
 * Reconciling (members converging on it).
 */
export const REBALANCING_STATES: ReadonlySet<string> = new Set([
  'PreparingRebalance',
  'CompletingRebalance',
  'Assigning',
  'Reconciling',
]);

export interface GroupObservation {
  time: number;
  state: string;
  memberIds: ReadonlySet<string>;
}

export interface RebalanceStep {
  /** The rebalance in progress after this observation, if any. */
  open: RebalanceEvent | undefined;
  /** A rebalance that completed with this observation. */
  completed: RebalanceEvent | undefined;
}

export function observeRebalance(
  previous: GroupObservation | undefined,
  open: RebalanceEvent | undefined,
  current: GroupObservation,
): RebalanceStep {
  const now = current.time;
  if (REBALANCING_STATES.has(current.state)) {
    return {
      open: open ?? {
        startedAt: now,
        endedAt: null,
        durationMs: null,
        detectedBy: 'state',
        membersBefore: previous ? previous.memberIds.size : current.memberIds.size,
        membersAfter: null,
      },
      completed: undefined,
    };
  }
  // Not described (Unknown): nothing can be concluded; keep what is open.
  if (current.state === 'Unknown') return { open, completed: undefined };
  if (open) {
    return {
      open: undefined,
      completed: { ...open, endedAt: now, durationMs: now - open.startedAt, membersAfter: current.memberIds.size },
    };
  }
  if (previous && !REBALANCING_STATES.has(previous.state) && previous.state !== 'Unknown') {
    const changed =
      previous.memberIds.size !== current.memberIds.size ||
      [...current.memberIds].some((m) => !previous.memberIds.has(m));
    if (changed) {
      return {
        open: undefined,
        completed: {
          startedAt: previous.time,
          endedAt: now,
          durationMs: null,
          detectedBy: 'members',
          membersBefore: previous.memberIds.size,
          membersAfter: current.memberIds.size,
        },
      };
    }
  }
  return { open: undefined, completed: undefined };
}
