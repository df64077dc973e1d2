/** A table of rows with its column heads, or an empty state saying why there are none. */
import type { ReactNode } from 'react';
import { Empty } from './states.tsx';

/** A column head: its text, or its text and a class (`num` right-aligns numbers). */
export type Column = string | { label: string; className: string };

export function DataTable<T>({
  rows,
  columns,
  empty,
  label,
  className,
  children,
}: {
  rows: readonly T[];
  columns: readonly Column[];
  /** The empty state's title, shown instead of the table when there are no rows. */
  empty: string;
  /** The table's accessible name. */
  label?: string;
  className?: string;
  /** One `<tr>` per row, with its key. */
  children: (row: T) => ReactNode;
}) {
  if (rows.length === 0) return <Empty title={empty} />;
  return (
    <table aria-label={label} className={className}>
      <thead>
        <tr>
          {columns.map((c) =>
            typeof c === 'string' ? (
              <th key={c}>{c}</th>
            ) : (
              <th key={c.label} className={c.className}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{rows.map(children)}</tbody>
    </table>
  );
}
