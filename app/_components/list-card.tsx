// A card holding a short list of records, declared by its columns: the first column is the row's subject (a link,
// a sentence), the others are its facts (status, who, when), shown beside it on wide screens and below it on a phone.
// One place for the list look the home page uses in every block, so its blocks cannot drift apart. Server-safe.
import { Fragment, type ReactNode } from "react";
import { Card, EmptyState } from "./ui";

/** One column: what a row shows in it. `key` names it (React keys, and a reader of the declaration). */
export type ListColumn<Row> = { key: string; cell: (row: Row) => ReactNode };

export function ListCard<Row>({
  title,
  actions,
  className,
  testId,
  rows,
  rowKey,
  columns: [subject, ...facts],
  empty,
}: {
  title: ReactNode;
  actions?: ReactNode;
  className?: string;
  /** data-testid of the list (e2e finds the block by it). */
  testId: string;
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  /** The subject column first, then the facts. */
  columns: [ListColumn<Row>, ...ListColumn<Row>[]];
  /** What an empty list says instead: what would appear here, and how to get some. */
  empty: { title: ReactNode; body?: ReactNode };
}) {
  return (
    <Card title={title} actions={actions} className={className}>
      {rows.length === 0 ? (
        <EmptyState title={empty.title}>{empty.body}</EmptyState>
      ) : (
        <ul className="divide-y divide-gray-100 text-sm dark:divide-gray-800" data-testid={testId}>
          {rows.map((row) => (
            <li key={rowKey(row)} className="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:justify-between sm:gap-3">
              <div className="min-w-0 break-words">{subject.cell(row)}</div>
              {facts.length > 0 && (
                <div className="flex shrink-0 flex-wrap items-center gap-2 text-xs text-gray-600 dark:text-gray-400">
                  {facts.map((c) => (
                    <Fragment key={c.key}>{c.cell(row)}</Fragment>
                  ))}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
