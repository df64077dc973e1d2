/**
 * Layout of the flow map by dagre (a layered "Sugiyama" layout): ranks follow the flow even
 * through the cycles real systems have (an orchestrator publishes commands and consumes the
 * replies), crossings are reduced, and every edge label is a node of its own in the layout, so
 * it sits on its edge and never on another label or node. Both directions are laid out and the
 * one that fits the viewport at the larger scale wins: a long chain reads top to bottom in a
 * narrow window instead of shrinking to unreadable text.
 */
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import { type FlowEdge, type FlowNode } from '../../api/types.ts';
import { labelWidth } from '../sagas/flow-layout.ts';

export const NODE_H = 34;
const NODE_MIN_W = 96;
const NODE_MAX_CHARS = 28;
/** Edge labels: two lines at 11 px. */
export const EDGE_LABEL_H = 28;
const MARGIN = 16;

export type Direction = 'LR' | 'TB';

export interface PlacedNode extends FlowNode {
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The name as drawn (long names are cut with an ellipsis; the full name is in the title). */
  label: string;
}

export interface PlacedEdge {
  edge: FlowEdge;
  /** Polyline from the source's border to the target's border. */
  points: { x: number; y: number }[];
  /** Centre of the label box. */
  labelX: number;
  labelY: number;
  labelWidth: number;
}

export interface GraphLayout {
  direction: Direction;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export function nodeLabel(name: string): string {
  return name.length > NODE_MAX_CHARS ? `${name.slice(0, NODE_MAX_CHARS - 1)}…` : name;
}

/** A readable name of an edge, for data attributes and tests: `from -> to (group)`. */
export function edgeName(e: FlowEdge): string {
  return `${e.from} -> ${e.to}${e.group ? ` (${e.group})` : ''}`;
}

/** A stable key of an edge (one topic may feed a service through several groups). */
export function edgeKey(e: FlowEdge): string {
  return `${e.from}\u0000${e.to}\u0000${e.group ?? ''}`;
}

export function layoutGraph(
  nodes: FlowNode[],
  edges: FlowEdge[],
  labelLines: (e: FlowEdge) => string[],
  direction: Direction = 'LR',
): GraphLayout {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({
    rankdir: direction,
    nodesep: direction === 'LR' ? 18 : 24,
    ranksep: direction === 'LR' ? 36 : 14,
    edgesep: 12,
    marginx: MARGIN,
    marginy: MARGIN,
  });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set(nodes.map((n) => n.id));
  for (const n of nodes) {
    g.setNode(n.id, { width: Math.max(NODE_MIN_W, labelWidth(nodeLabel(n.name)) + 24), height: NODE_H });
  }
  const drawn = edges.filter((e) => known.has(e.from) && known.has(e.to));
  for (const e of drawn) {
    const w = Math.max(...labelLines(e).map(labelWidth), 0);
    g.setEdge(e.from, e.to, { width: w, height: EDGE_LABEL_H, labelpos: 'c' }, edgeKey(e));
  }
  dagre.layout(g);
  const placed = nodes.map((n): PlacedNode => {
    const p = g.node(n.id);
    return { ...n, x: p.x ?? 0, y: p.y ?? 0, width: p.width, height: p.height, label: nodeLabel(n.name) };
  });
  const placedEdges = drawn.map((e): PlacedEdge => {
    const l = g.edge({ v: e.from, w: e.to, name: edgeKey(e) });
    const points = (l.points ?? []).map((p) => ({ x: p.x, y: p.y }));
    return { edge: e, points, labelX: l.x ?? 0, labelY: l.y ?? 0, labelWidth: l.width ?? 0 };
  });
  const graph = g.graph();
  return {
    direction,
    nodes: placed,
    edges: placedEdges,
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
  };
}

/** The scale at which a layout fits a box, at most 1 (never drawn larger than life). */
export function fitScale(layout: { width: number; height: number }, box: { width: number; height: number }): number {
  if (layout.width <= 0 || layout.height <= 0 || box.width <= 0 || box.height <= 0) return 1;
  return Math.min(1, box.width / layout.width, box.height / layout.height);
}

/** Left to right unless top to bottom fits the box at a larger scale. */
export function bestLayout(
  nodes: FlowNode[],
  edges: FlowEdge[],
  labelLines: (e: FlowEdge) => string[],
  box: { width: number; height: number },
): GraphLayout {
  const lr = layoutGraph(nodes, edges, labelLines, 'LR');
  const lrScale = fitScale(lr, box);
  if (lrScale >= 1) return lr;
  const tb = layoutGraph(nodes, edges, labelLines, 'TB');
  return fitScale(tb, box) > lrScale * 1.05 ? tb : lr;
}

/** An SVG path through the layout's points: straight segments with rounded corners. */
export function edgePath(points: { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M ${first.x} ${first.y}`;
  for (let i = 0; i < rest.length; i++) {
    const p = rest[i]!;
    const next = rest[i + 1];
    if (!next) {
      d += ` L ${p.x} ${p.y}`;
      break;
    }
    // A quadratic curve through the corner, from halfway along each segment.
    const mx = (p.x + next.x) / 2;
    const my = (p.y + next.y) / 2;
    d += ` Q ${p.x} ${p.y} ${mx} ${my}`;
  }
  return d;
}
