/**
 * Phase 5 of a poll cycle (see cycle.ts): time lag, the age of the oldest unconsumed record of
 * each lagging partition. Record timestamps read directly (cached by offset, capped per cycle,
 * most lagging first), the offset/time table's interpolation for the rest.
 */
import { partitionKey } from '../kafka/index.ts';
import type { Cycle, Memory, RecordTimes } from './cycle.ts';
import type { LagSecondsSource } from './types.ts';

function getRecordTime(times: RecordTimes, topic: string, partition: number, offset: number): number | undefined {
  return times.get(topic)?.get(partition)?.get(offset);
}

function setRecordTime(times: RecordTimes, topic: string, partition: number, offset: number, value: number): void {
  let byPartition = times.get(topic);
  if (!byPartition) {
    byPartition = new Map();
    times.set(topic, byPartition);
  }
  let byOffset = byPartition.get(partition);
  if (!byOffset) {
    byOffset = new Map();
    byPartition.set(partition, byOffset);
  }
  byOffset.set(offset, value);
}

/** 5. Time lag of every lagging partition of this cycle (cy.pendingParts). */
export async function timeLagPhase(m: Memory, cy: Cycle): Promise<void> {
  const { pendingParts, pendingTargets, recordReads } = cy;
  const usedRecordTimes: RecordTimes = new Map();
  const toRead: { topic: string; partition: number; offset: number; lag: number }[] = [];
  // The same record wanted by several groups is read once (at the position it was first wanted).
  const toReadIndex: RecordTimes = new Map();
  for (let i = 0; i < pendingParts.length; i++) {
    const part = pendingParts[i];
    const target = pendingTargets[i];
    if (part === undefined || target === undefined) continue;
    const cached = getRecordTime(m.recordTimes, part.topic, part.partition, target);
    if (cached !== undefined) {
      setRecordTime(usedRecordTimes, part.topic, part.partition, target, cached);
      recordReads.cached++;
    } else if (cy.options.recordReads !== false) {
      const lag = part.lag ?? 0;
      const at = getRecordTime(toReadIndex, part.topic, part.partition, target);
      const wanted = at === undefined ? undefined : toRead[at];
      if (wanted === undefined) {
        setRecordTime(toReadIndex, part.topic, part.partition, target, toRead.length);
        toRead.push({ topic: part.topic, partition: part.partition, offset: target, lag });
      } else if (wanted.lag < lag) {
        wanted.lag = lag;
      }
    }
  }
  const reads = toRead.sort((a, b) => b.lag - a.lag);
  const selected = reads.slice(0, m.o.maxRecordReadsPerCycle);
  recordReads.skipped = reads.length - selected.length;
  if (selected.length > 0) {
    try {
      const result = await m.kafka.readRecords(selected, { maxBytesPerPartition: m.o.recordReadMaxBytes });
      for (const r of selected) {
        const rec = result.get(partitionKey(r.topic, r.partition))?.[0];
        // Timestamp -1: a record without one (old message format); fall back to the table.
        if (rec && rec.timestamp > 0) {
          // A compacted or transactional log may have no record at exactly this offset;
          // the first one after it is the oldest unconsumed.
          setRecordTime(usedRecordTimes, r.topic, r.partition, r.offset, rec.timestamp);
          recordReads.read++;
        } else recordReads.missed++;
      }
    } catch (err) {
      cy.countError('record_reads', err);
      recordReads.missed += selected.length;
    }
    cy.alive();
  }
  m.recordTimes = usedRecordTimes;
  for (let i = 0; i < pendingParts.length; i++) {
    const part = pendingParts[i];
    const target = pendingTargets[i];
    if (part === undefined || target === undefined) continue;
    const ts = getRecordTime(usedRecordTimes, part.topic, part.partition, target);
    let time: number | undefined;
    let source: LagSecondsSource = 'unknown';
    if (ts !== undefined) {
      time = ts;
      source = 'record';
    } else {
      const estimate = m.table.estimate(part.topic, part.partition, target);
      if (estimate) {
        time = estimate.time;
        source = estimate.lowerBound ? 'lower-bound' : 'interpolated';
      }
    }
    if (time !== undefined) {
      // A producer clock ahead of ours gives a future timestamp; the record is not negative seconds old.
      part.lagSeconds = Math.max(0, (cy.now - time) / 1000);
      part.lagSecondsSource = source;
      part.lagSecondsIsLowerBound = source === 'lower-bound';
    }
  }
}
