// One card of the data-quality page: a titled list of rows, an empty state when there are none. Columns are declared
// once (heading, cell, style), so each finding on the page is a few lines of data, not a copy of table markup.
import type { ReactNode } from "react";
import { Card, EmptyState, Table, Td } from "@/app/_components/ui";

export type Column<T> = { head: string; cell: (row: T) => ReactNode; className?: string };

/** Monospace, small: for values as a sender wrote them (names, types, ids, versions). */
export const MONO = "font-mono text-xs";

export function ListCard<T>({
  title,
  note,
  empty,
  rows,
  rowKey,
  columns,
}: {
  title: string;
  note?: ReactNode;
  empty: string;
  rows: readonly T[];
  rowKey: (row: T) => string;
  columns: Column<T>[];
}) {
  return (
    <Card title={title}>
      {note && <p className="mb-2 text-xs text-gray-500 dark:text-gray-400">{note}</p>}
      {rows.length === 0 ? (
        <EmptyState title={empty} />
      ) : (
        <Table head={columns.map((c) => c.head)} caption={title}>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c, i) => (
                <Td key={i} className={c.className}>
                  {c.cell(row)}
                </Td>
              ))}
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
