"use client";
// A background import's progress: polled every second while it is queued or running (catalog.importJob), then its
// summary with the entities that had errors. The job id is in the page's URL (?job=…), so a reload keeps watching.
import { useQuery } from "@tanstack/react-query";
import { Badge, type BadgeColor, ErrorMessage, Spinner, Table, Td } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

const POLL_MS = 1000;
const STATUS: Record<string, { label: string; color: BadgeColor }> = {
  queued: { label: "queued", color: "gray" },
  running: { label: "running", color: "blue" },
  succeeded: { label: "finished", color: "green" },
  failed: { label: "failed", color: "red" },
};
const n = (v: number) => v.toLocaleString("en-GB");

export function ImportProgress({ id }: { id: string }) {
  const trpc = useTRPC();
  const job = useQuery({
    ...trpc.catalog.importJob.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.status === "succeeded" || q.state.data?.status === "failed" ? false : POLL_MS),
  });
  if (job.isPending) return <Spinner label="Loading the import…" />;
  if (job.error) return <ErrorMessage error={job.error} />;
  const { status, progress, counts, errors, warnings, failure } = job.data;
  const ended = status === "succeeded" || status === "failed";
  const phase =
    status === "queued"
      ? "Waiting for a worker to start it…"
      : progress.processed < progress.documents
        ? `Applying entities: ${n(progress.processed)} of ${n(progress.documents)}`
        : `Linking dependencies: ${n(progress.linked)} of ${n(progress.linkTotal)} services`;

  return (
    <div className="space-y-3" aria-live="polite">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">Background import</span>
        <Badge color={STATUS[status].color}>{STATUS[status].label}</Badge>
        <span className="text-gray-600 dark:text-gray-400">{ended ? `${n(progress.documents)} entities` : phase}</span>
      </div>
      <div
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress.percent}
        aria-valuetext={ended ? STATUS[status].label : phase}
        className="h-2 w-full overflow-hidden rounded-full bg-gray-200 dark:bg-gray-800"
      >
        <div
          className={status === "failed" ? "h-full bg-rose-600 dark:bg-rose-400" : "h-full bg-brand-600 transition-[width] dark:bg-brand-400"}
          style={{ width: `${progress.percent}%` }}
        />
      </div>
      <p role="status" className="text-sm">
        {status === "succeeded" ? "Imported: " : "So far: "}
        {n(counts.created)} created, {n(counts.updated)} updated, {n(counts.unchanged)} unchanged, {n(counts.skipped)} skipped (kinds Pier does not import),{" "}
        <span className={counts.errors ? "font-medium text-rose-700 dark:text-rose-300" : undefined}>{n(counts.errors)} with errors</span>.
      </p>
      {failure && <ErrorMessage error={failure} />}
      {errors.length > 0 && (
        <div className="space-y-1">
          <p className="text-sm font-medium">
            Entities not imported{counts.errors > errors.length ? ` (the first ${n(errors.length)} of ${n(counts.errors)})` : ""}
          </p>
          <Table head={["#", "Kind", "Name", "Why"]} caption="Entities with errors">
            {errors.map((e) => (
              <tr key={e.index}>
                <Td>{e.index + 1}</Td>
                <Td>{e.kind}</Td>
                <Td>{e.name}</Td>
                <Td className="text-xs whitespace-normal text-rose-700 dark:text-rose-300">{e.message}</Td>
              </tr>
            ))}
          </Table>
        </div>
      )}
      {warnings.length > 0 && (
        <details className="text-sm">
          <summary className="cursor-pointer text-amber-700 dark:text-amber-300">
            {n(counts.warnings)} {counts.warnings === 1 ? "warning" : "warnings"} (dependencies not in the catalog)
          </summary>
          <ul className="mt-1 list-disc pl-5 text-xs text-gray-700 dark:text-gray-300">
            {warnings.map((w, i) => (
              <li key={i}>
                #{w.index + 1} {w.kind} {w.name}: {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
