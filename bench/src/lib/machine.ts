/** The machine a result was measured on: recorded with every result file. */
import { cpus, loadavg, totalmem } from 'node:os';

export const KAFKA_VERSION = '4.4.0';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  node: string;
  kafka: string;
  platform: string;
  /** 1/5/15-minute load averages when the run started and ended (a shared machine: read results with them). */
  loadStart: number[];
  loadEnd?: number[];
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    kafka: KAFKA_VERSION,
    platform: `${process.platform} ${process.arch}`,
    loadStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

export function finish(m: Machine): Machine {
  return { ...m, loadEnd: loadavg().map((n) => Math.round(n * 100) / 100) };
}
