// One verification result, as the page and the "verify now" buttons show it: where and how the chain breaks.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/root";
import { plural } from "@/app/_lib/plural";
import { DateTime } from "@/app/_components/time";
import { Badge } from "@/app/_components/ui";

type ChainReport = inferRouterOutputs<AppRouter>["audit"]["verifyChain"];

const PROBLEM: Record<NonNullable<ChainReport["break"]>["problem"], string> = {
  modified: "Modified: a record's content no longer matches its hash",
  "missing-predecessor": "Missing predecessor: a record before this one was deleted",
  truncated: "Cut off: the newest records are gone",
  "checkpoint-mismatch": "Rewritten: the chain no longer passes through a signed checkpoint",
  "checkpoint-signature": "Checkpoint signature invalid: forged, altered or signed with another key",
};

export function ReportView({ report }: { report: ChainReport | null }) {
  if (!report) return <p className="text-sm text-gray-600 dark:text-gray-400">Not run yet.</p>;
  const b = report.break;
  return (
    <div className="space-y-3 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        {report.ok ? <Badge color="green">Intact</Badge> : <Badge color="red">BROKEN</Badge>}
        <span className="text-gray-700 dark:text-gray-300">
          {report.mode === "full" ? "Full" : "Incremental"} · <DateTime value={report.verifiedAt} /> · {plural(report.checked, "record")} walked
          {report.fromSeq ? ` after checkpoint seq ${report.fromSeq}` : " from the start"}
        </span>
      </div>
      <p className="text-gray-700 dark:text-gray-300">
        Checkpoints: {report.checkpoints.total} signed
        {report.checkpoints.bad > 0 ? (
          <span className="font-medium text-rose-700 dark:text-rose-300"> · {report.checkpoints.bad} failing</span>
        ) : report.checkpoints.total > 0 ? (
          " · all valid and on the chain"
        ) : (
          ""
        )}
        {report.checkpoints.latest && (
          <>
            {" "}
            · newest at seq {report.checkpoints.latest.seq} (<DateTime value={report.checkpoints.latest.signedAt} />)
          </>
        )}
        {report.checkpointSeq && ` · signed a new one at seq ${report.checkpointSeq}`}
      </p>
      {b && (
        <div
          role="alert"
          className="rounded-md border border-rose-300 bg-rose-50 p-3 text-rose-900 dark:border-rose-800 dark:bg-rose-950/40 dark:text-rose-100"
        >
          <p className="font-semibold">
            Breaks at seq <span className="font-mono">{b.seq}</span>: {PROBLEM[b.problem]}
          </p>
          <p className="mt-1">{b.detail}</p>
          {b.record ? (
            <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
              <dt className="text-rose-700 dark:text-rose-300">Action</dt>
              <dd className="font-mono">{b.record.action}</dd>
              <dt className="text-rose-700 dark:text-rose-300">Subject</dt>
              <dd className="font-mono break-all">
                {b.record.subjectType} {b.record.subjectId}
              </dd>
              <dt className="text-rose-700 dark:text-rose-300">Actor</dt>
              <dd>{b.record.actorLabel}</dd>
              <dt className="text-rose-700 dark:text-rose-300">Recorded</dt>
              <dd>
                <DateTime value={b.record.createdAt} />
              </dd>
            </dl>
          ) : (
            <p className="mt-2 text-rose-700 dark:text-rose-300">No record is left at this seq.</p>
          )}
        </div>
      )}
    </div>
  );
}
