"use client";
// The service's recent deployment outcomes as a Tremor Tracker: one block per deployment, oldest on the left,
// coloured by outcome, with a tooltip (environment, version, outcome, when). The blocks' tooltips need a pointer,
// so the same facts are given to assistive technology as the tracker's label and a list (visually hidden).
import { Tracker } from "@tremor/react";
import { useTimeZone } from "@/app/_components/time";
import { formatDateTime } from "@/app/_lib/format";
import { plural } from "@/app/_lib/plural";

type Outcome = { id: string; environmentName: string; version: string; status: string; isRollback: boolean; deployedAt: Date; hasIncident: boolean };

const COLOR: Record<string, string> = { succeeded: "emerald", failed: "rose", rolled_back: "amber" };
const LABEL: Record<string, string> = { succeeded: "succeeded", failed: "failed", rolled_back: "rolled back" };

export function DeploymentTracker({ items, counts }: { items: Outcome[]; counts: { succeeded: number; failed: number; rolledBack: number } }) {
  const timeZone = useTimeZone();
  const describe = (d: Outcome) =>
    `${d.environmentName} ${d.version || "?"}${d.isRollback ? " (rollback)" : ""} · ${LABEL[d.status] ?? d.status}${d.hasIncident ? " · incident" : ""} · ${formatDateTime(d.deployedAt, timeZone)}`;
  const summary = `Last ${plural(items.length, "deployment")}: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.rolledBack} rolled back`;
  return (
    <div data-testid="deployment-tracker">
      <p className="mb-1 text-xs text-gray-600 dark:text-gray-400">{summary} (oldest left, newest right)</p>
      <Tracker
        role="img"
        aria-label={summary}
        data={items.map((d) => ({ key: d.id, color: COLOR[d.status] ?? "gray", tooltip: describe(d) }))}
        className="h-8"
      />
      <ul className="sr-only">
        {items.map((d) => (
          <li key={d.id}>{describe(d)}</li>
        ))}
      </ul>
      <p className="mt-1 flex flex-wrap gap-3 text-xs text-gray-600 dark:text-gray-400" aria-hidden>
        <span>
          <span className="mr-1 inline-block h-2 w-2 rounded-sm bg-emerald-500" />
          succeeded
        </span>
        <span>
          <span className="mr-1 inline-block h-2 w-2 rounded-sm bg-rose-500" />
          failed
        </span>
        <span>
          <span className="mr-1 inline-block h-2 w-2 rounded-sm bg-amber-500" />
          rolled back
        </span>
      </p>
    </div>
  );
}
