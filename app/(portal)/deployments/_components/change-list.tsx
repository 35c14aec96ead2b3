"use client";
// The commits/PRs a request brings to its environment (deployments.changes): what an approver is approving.
import { useQuery } from "@tanstack/react-query";
import { DateTime } from "@/app/_components/time";
import { ErrorMessage, Spinner } from "@/app/_components/ui";
import { plural } from "@/app/_lib/plural";
import { useTRPC } from "@/app/_lib/trpc";

/** The approval card's form: a disclosure whose summary already says how many changes the request brings. */
export function CollapsibleChangeList({ requestId }: { requestId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.deployments.changes.queryOptions({ id: requestId }));
  return (
    <details className="rounded border border-gray-200 px-2 py-1 dark:border-gray-800">
      <summary className="cursor-pointer text-xs font-medium">What this brings{q.data ? `: ${plural(q.data.total, "change")}` : ""} (commits and PRs)</summary>
      <div className="mt-1">
        <ChangeList requestId={requestId} compact />
      </div>
    </details>
  );
}

export function ChangeList({ requestId, compact = false }: { requestId: string; compact?: boolean }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.deployments.changes.queryOptions({ id: requestId }));
  if (q.isLoading) return <Spinner label="Loading changes…" />;
  if (q.error || !q.data) return <ErrorMessage error={q.error} />;
  const { items, total, basis, upstream, environmentName } = q.data;
  const basisText =
    basis === "upstream" && upstream
      ? `Shipped in ${upstream.environmentName} with this version, not yet in ${environmentName}`
      : `This version has not run anywhere Pier saw: the merged changes ${environmentName} has not received`;
  return (
    <div data-testid="change-list" className="text-sm">
      <p className="text-xs text-gray-600 dark:text-gray-400">
        {plural(total, "change")} · {basisText}
        {total > items.length ? ` (newest ${items.length} shown)` : ""}
      </p>
      {items.length === 0 ? (
        <p className="mt-1 text-gray-600 dark:text-gray-400">No ingested changes. Connect the repository (Admin → Integrations) to see commits here.</p>
      ) : (
        <ul className={compact ? "mt-1 max-h-48 space-y-1 overflow-y-auto" : "mt-2 space-y-1"}>
          {items.map((c) => (
            <li key={c.id} className="flex min-w-0 flex-wrap items-baseline gap-x-2">
              {c.url ? (
                <a href={c.url} target="_blank" rel="noreferrer" className="font-mono text-xs text-brand-700 hover:underline dark:text-brand-300">
                  {c.externalId.slice(0, 10)}
                </a>
              ) : (
                <span className="font-mono text-xs text-gray-600 dark:text-gray-400">{c.externalId.slice(0, 24)}</span>
              )}
              <span className="min-w-0 break-words">{c.title || "(no title)"}</span>
              {!compact && (
                <span className="text-xs text-gray-600 dark:text-gray-400">
                  {c.repository} · merged <DateTime value={c.mergedAt} />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
