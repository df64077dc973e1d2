/**
 * Layered layout for the flow map: each node's column is the longest path to it from a
 * source (services that only publish start at column 0); cycles (a saga orchestrator that
 * both publishes commands and consumes replies) are cut by bounding the iterations.
 */
import { type FlowEdge, type FlowNode } from '../../api/types.ts';

export const NODE_W = 150;
export const NODE_H = 34;
export const COL_GAP = 110;
export const ROW_GAP = 26;

export interface PlacedNode extends FlowNode {
  x: number;
  y: number;
  column: number;
}

export function layoutGraph(
  nodes: FlowNode[],
  edges: FlowEdge[],
): { nodes: PlacedNode[]; width: number; height: number } {
  const column = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (let i = 0; i < nodes.length; i++) {
    let changed = false;
    for (const e of edges) {
      const from = column.get(e.from);
      const to = column.get(e.to);
      if (from === undefined || to === undefined) continue;
      if (to < from + 1 && from + 1 < nodes.length) {
        column.set(e.to, from + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const byColumn = new Map<number, FlowNode[]>();
  for (const n of nodes) {
    const c = column.get(n.id) ?? 0;
    byColumn.set(c, [...(byColumn.get(c) ?? []), n]);
  }
  const placed: PlacedNode[] = [];
  let maxRows = 0;
  for (const [c, list] of [...byColumn.entries()].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.name.localeCompare(b.name));
    maxRows = Math.max(maxRows, list.length);
    list.forEach((n, i) =>
      placed.push({ ...n, column: c, x: 20 + c * (NODE_W + COL_GAP), y: 20 + i * (NODE_H + ROW_GAP) }),
    );
  }
  const columns = byColumn.size ? Math.max(...byColumn.keys()) + 1 : 1;
  return {
    nodes: placed,
    width: 40 + columns * NODE_W + (columns - 1) * COL_GAP,
    height: 40 + maxRows * NODE_H + Math.max(0, maxRows - 1) * ROW_GAP,
  };
}
