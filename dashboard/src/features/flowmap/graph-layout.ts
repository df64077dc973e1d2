/**
 * Layered layout for the flow map: a node's column is its BFS distance from the sources
 * (services that only publish), so the flow reads left to right even though real systems
 * are full of cycles (an orchestrator publishes commands and consumes the replies). Edges
 * that point back to an earlier or the same column are drawn as loops. Nodes not reachable
 * from a source start a BFS of their own, in name order.
 */
import { type FlowEdge, type FlowNode } from '../../api/types.ts';

export const NODE_W = 150;
export const NODE_H = 34;
export const COL_GAP = 170;
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
  const out = new Map<string, string[]>();
  const indegree = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (const e of edges) {
    if (!indegree.has(e.from) || !indegree.has(e.to) || e.from === e.to) continue;
    out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
    indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  }
  const byName = [...nodes].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const column = new Map<string, number>();
  const bfs = (starts: string[]) => {
    const queue = [...starts];
    for (const s of starts) column.set(s, 0);
    while (queue.length) {
      const id = queue.shift()!;
      const c = column.get(id) ?? 0;
      for (const next of out.get(id) ?? []) {
        if (column.has(next)) continue;
        column.set(next, c + 1);
        queue.push(next);
      }
    }
  };
  bfs(byName.filter((n) => indegree.get(n.id) === 0).map((n) => n.id));
  for (const n of byName) if (!column.has(n.id)) bfs([n.id]);

  const byColumn = new Map<number, FlowNode[]>();
  for (const n of byName) {
    const c = column.get(n.id) ?? 0;
    byColumn.set(c, [...(byColumn.get(c) ?? []), n]);
  }
  const placed: PlacedNode[] = [];
  let maxRows = 0;
  for (const [c, list] of [...byColumn.entries()].sort((a, b) => a[0] - b[0])) {
    maxRows = Math.max(maxRows, list.length);
    list.forEach((n, i) =>
      placed.push({ ...n, column: c, x: 20 + c * (NODE_W + COL_GAP), y: 20 + i * (NODE_H + ROW_GAP) }),
    );
  }
  const columns = byColumn.size ? Math.max(...byColumn.keys()) + 1 : 1;
  return {
    nodes: placed,
    width: 40 + columns * NODE_W + (columns - 1) * COL_GAP,
    // room below the last row for loops of back edges
    height: 80 + maxRows * NODE_H + Math.max(0, maxRows - 1) * ROW_GAP,
  };
}
