/**
 * Phase 4 of a poll cycle (see cycle.ts): per group and partition, the committed offset against
 * the log's, lag, the status window (kept in place per partition; see SampleWindow), status and
 * consume rate in one pass over the window, and the owning member; rebalances from membership.
 */
import type { CommittedOffset, GroupInfo, PartitionOffsets } from '../kafka/index.ts';
import type { Cycle, Memory } from './cycle.ts';
import { PartitionLagRow } from './partition-lag.ts';
import { observeRebalance, type GroupObservation } from './rebalance.ts';
import { SampleWindow, WINDOW_SLACK, windowConsumeRate, windowStatus } from './status.ts';
import type { GroupLag, PartitionLag } from './types.ts';

/** Partitions in topic order, then by number. */
const compareRows = (a: PartitionLag, b: PartitionLag): number =>
  a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;

/** A group's row before its partitions are rolled up (rollup.ts). */
export function emptyGroup(groupId: string, info: GroupInfo, now: number): GroupLag {
  return {
    group: groupId,
    groupType: info.groupType ?? 'classic',
    state: info.state,
    groupEpoch: info.groupEpoch ?? null,
    assignmentEpoch: info.assignmentEpoch ?? null,
    protocolType: info.protocolType,
    protocol: info.protocol,
    members: info.members,
    status: 'OK',
    error: null,
    lag: 0,
    lagSeconds: null,
    lagSecondsIsLowerBound: false,
    consumeRate: null,
    timeToCatchUpSeconds: null,
    recordsLostToRetention: 0,
    retentionRisk: 'none',
    topics: [],
    partitions: [],
    rebalanceCount: 0,
    lastRebalance: null,
    updatedAt: now,
  };
}

/** Rebalance detection (see rebalance.ts), keeping the open event, history and count per group. */
function observeMembership(m: Memory, groupId: string, info: GroupInfo, now: number): void {
  const current: GroupObservation = {
    time: now,
    state: info.state,
    memberIds: new Set(info.members.map((mb) => mb.memberId)),
  };
  const step = observeRebalance(m.observations.get(groupId), m.openRebalances.get(groupId), current);
  if (step.open) m.openRebalances.set(groupId, step.open);
  else m.openRebalances.delete(groupId);
  if (step.completed) {
    const list = m.rebalances.get(groupId) ?? [];
    list.push(step.completed);
    while (list.length > m.o.rebalanceHistory) list.shift();
    m.rebalances.set(groupId, list);
    m.rebalanceCounts.set(groupId, (m.rebalanceCounts.get(groupId) ?? 0) + 1);
  }
  // An undescribed poll (Unknown) is not an observation: compare the next one with the last known.
  if (current.state !== 'Unknown') m.observations.set(groupId, current);
}

/** topic -> partition -> the owning member's identity (one object per member); whether any member has an assignment. */
function owners(info: GroupInfo): {
  byTopic: Map<string, (PartitionLag['owner'] | undefined)[]>;
  anyAssignment: boolean;
} {
  const byTopic = new Map<string, (PartitionLag['owner'] | undefined)[]>();
  let anyAssignment = false;
  for (const mb of info.members) {
    const ownerInfo = { memberId: mb.memberId, clientId: mb.clientId, host: mb.host };
    for (const [topic, parts] of Object.entries(mb.assignment)) {
      let list = byTopic.get(topic);
      if (!list) {
        list = [];
        byTopic.set(topic, list);
      }
      for (const p of parts) {
        list[p] = ownerInfo;
        anyAssignment = true;
      }
    }
  }
  return { byTopic, anyAssignment };
}

/** 4. Every group's partitions: lag, status window, status, owner; lagging ones queued for time lag. */
export function groupPhase(m: Memory, cy: Cycle): void {
  const byPartition = new Map<string, (PartitionOffsets | undefined)[]>();
  for (const [topic, entry] of cy.topicOffsets) {
    if (entry instanceof Error) continue;
    const list: (PartitionOffsets | undefined)[] = [];
    for (const p of entry.offsets) list[p.partition] = p;
    byPartition.set(topic, list);
  }
  const cycleNo = ++m.cycleCount;
  const previousGroups = m.snapshot?.groups;
  // The published snapshot's rows read their windows from the rings, which have room for
  // WINDOW_SLACK more pushes: after more cycles than that without a new snapshot (abandoned past
  // their deadline), they keep a copy before this cycle's pushes.
  if (previousGroups && m.snapshotCycle !== undefined && cycleNo - m.snapshotCycle > WINDOW_SLACK) {
    for (const g of previousGroups.values()) for (const p of g.partitions) if (p instanceof PartitionLagRow) p.detach();
    m.snapshotCycle = undefined;
  }
  for (const groupId of cy.groupIds) {
    const info: GroupInfo = cy.described.get(groupId) ?? {
      groupId,
      groupType: m.kafka.groupType(groupId),
      state: 'Unknown',
      protocolType: '',
      protocol: '',
      members: [],
      errorCode: -1,
    };
    if (info.state === 'Dead') continue; // deleted between list and describe
    observeMembership(m, groupId, info, cy.now);
    const offsets = cy.committed.get(groupId);
    if (!offsets || offsets instanceof Error) {
      const prev = previousGroups?.get(groupId);
      cy.groups.set(groupId, {
        ...emptyGroup(groupId, info, cy.now),
        status: 'ERR',
        error: offsets?.message ?? 'offsets not read',
        partitions: (prev?.partitions ?? []).map((p) =>
          p instanceof PartitionLagRow ? p.withStatus('ERR') : { ...p, status: 'ERR' },
        ),
      });
      continue;
    }
    cy.groups.set(groupId, {
      ...emptyGroup(groupId, info, cy.now),
      partitions: groupPartitions(m, cy, groupId, info, offsets, byPartition, cycleNo),
    });
  }
  for (const g of m.windows.keys()) if (!cy.groups.has(g)) m.windows.delete(g);
  for (const g of m.observations.keys()) {
    if (!cy.groups.has(g)) {
      m.observations.delete(g);
      m.openRebalances.delete(g);
    }
  }
}

/** One group's partition rows, in topic and partition order. */
function groupPartitions(
  m: Memory,
  cy: Cycle,
  groupId: string,
  info: GroupInfo,
  offsets: CommittedOffset[],
  byPartition: ReadonlyMap<string, (PartitionOffsets | undefined)[]>,
  cycleNo: number,
): PartitionLagRow[] {
  const { statusWindow, lagTolerance: tolerance } = m.o;
  const now = cy.now;
  const { byTopic: ownersByTopic, anyAssignment } = owners(info);
  let windows = m.windows.get(groupId);
  if (!windows) {
    windows = new Map();
    m.windows.set(groupId, windows);
  }
  const describedNow = cy.described.has(groupId);
  const unassignedMembers = !anyAssignment && info.members.length > 0;
  const partitions: PartitionLagRow[] = [];
  let topic: string | undefined;
  let topicWindows: (SampleWindow | undefined)[] = [];
  let topicOwners: (PartitionLag['owner'] | undefined)[] | undefined;
  let topicEnds: (PartitionOffsets | undefined)[] | undefined;
  let sorted = true;
  let previousRow: PartitionLagRow | undefined;
  for (const c of offsets) {
    if (c.topic !== topic) {
      if (!cy.topics.has(c.topic)) continue; // commits on a deleted topic
      topic = c.topic;
      let list = windows.get(topic);
      if (!list) {
        list = [];
        windows.set(topic, list);
      }
      topicWindows = list;
      topicOwners = ownersByTopic.get(topic);
      topicEnds = byPartition.get(topic);
    }
    let window = topicWindows[c.partition];
    if (!window) {
      window = new SampleWindow(statusWindow);
      topicWindows[c.partition] = window;
    }
    window.seen = cycleNo;
    const owner = topicOwners?.[c.partition];
    const ownerInfo = owner ?? null;
    // Not described this cycle: membership unknown, so never claim that nobody consumes it.
    const owned = !describedNow || owner !== undefined || unassignedMembers;
    const po = topicEnds?.[c.partition];
    let row: PartitionLagRow;
    if (!po) {
      row = new PartitionLagRow({
        topic: c.topic,
        partition: c.partition,
        committedOffset: c.offset,
        endOffset: null,
        startOffset: null,
        lag: null,
        status: 'ERR',
        owner: ownerInfo,
        consumeRate: null,
      });
    } else {
      // The end offset is read after the committed offset (or before): a consumer can
      // commit in between, so end - committed can come out negative for a moment. It is
      // a race between two reads, not a real state; report 0.
      const behind = Math.max(0, po.end - c.offset);
      // A share group's lag from the broker where it counts it (records acknowledged after the
      // start offset are not lag), as Kafka's share-groups tool shows it; never more than
      // end - start offset as read here (the broker may have counted to a later end).
      const lag = c.lag === undefined ? behind : Math.min(behind, c.lag);
      window.push(now, c.offset, lag);
      const { buffer, start, end } = window;
      row = new PartitionLagRow({
        topic: c.topic,
        partition: c.partition,
        committedOffset: c.offset,
        endOffset: po.end,
        startOffset: po.start,
        lag,
        status: windowStatus(buffer, start, end, tolerance, owned),
        owner: ownerInfo,
        consumeRate: windowConsumeRate(buffer, start, end),
      });
      // Records below the log start are gone; the oldest unconsumed one left is at the start.
      if (lag > 0) {
        cy.pendingParts.push(row);
        cy.pendingTargets.push(Math.max(c.offset, po.start));
      }
    }
    row.setWindow(window.buffer, window.end);
    if (previousRow && compareRows(previousRow, row) > 0) sorted = false;
    previousRow = row;
    partitions.push(row);
  }
  // Forget partitions the group no longer has offsets for.
  for (const [t, list] of windows) {
    let any = false;
    for (let i = 0; i < list.length; i++) {
      const w = list[i];
      if (!w) continue;
      if (w.seen !== cycleNo) list[i] = undefined;
      else any = true;
    }
    if (!any) windows.delete(t);
  }
  if (!sorted) partitions.sort(compareRows);
  return partitions;
}
