/** The arrowhead the flow map and the saga diagram end their edges with (an SVG marker for marker-end). */
export function ArrowMarker({ id, className, fill }: { id: string; className?: string; fill?: string }) {
  return (
    <marker id={id} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" className={className} fill={fill} />
    </marker>
  );
}
