// Per-service DORA panel for the catalog's service page (#dora section): the four keys for prod over 30 days and
// the incident timeline — deployments and incidents on one axis ("what shipped just before this incident?").
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState } from "@/app/_components/ui";
import { LEVEL_COLOR, formatDuration, formatRate } from "./_format";

export async function ServiceDora({ serviceId, days = 30 }: { serviceId: string; days?: number }) {
  const trpc = await serverCaller();
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const [summary, timeline] = await Promise.all([trpc.dora.summary({ from, to, serviceId }), trpc.dora.timeline({ serviceId, from, to })]);
  const { current: c, levels } = summary;
  const keys = [
    ["Deployments", `${c.deploymentsPerWeek.toFixed(1)} / week`, levels.deploymentFrequency, "deployments"],
    ["Lead time", formatDuration(c.leadTimeP50), levels.leadTime, "changes"],
    ["Change failure", formatRate(c.changeFailureRate), levels.changeFailureRate, "failures"],
    ["Time to restore", formatDuration(c.restoreP50), levels.timeToRestore, "incidents"],
  ] as const;
  // One list ordered by time, newest first: each incident sits right after what shipped before it.
  const items = [
    ...timeline.deployments.map((d) => ({ at: d.deployedAt, kind: "deployment" as const, d })),
    ...timeline.incidents.map((i) => ({ at: i.detectedAt, kind: "incident" as const, i })),
    ...timeline.flagChanges.map((f) => ({ at: f.occurredAt, kind: "flag" as const, f })),
  ]
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, 40);
  return (
    <Card
      title={`DORA (${summary.filter.environment}, last ${days} days)`}
      actions={
        <Link className="text-xs underline" href={`/dora?service=${serviceId}&days=${days}`}>
          Open dashboard
        </Link>
      }
    >
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        {keys.map(([label, value, level, drill]) => (
          <Link
            key={label}
            href={`/dora?service=${serviceId}&days=${days}&drill=${drill}#drilldown`}
            className="rounded-md border border-gray-200 p-3 hover:border-brand-500 dark:border-gray-800"
          >
            <p className="text-xs text-gray-500 dark:text-gray-400">{label}</p>
            <p className="text-lg font-semibold tabular-nums">{value}</p>
            {level ? <Badge color={LEVEL_COLOR[level]}>{level}</Badge> : <Badge>no data</Badge>}
          </Link>
        ))}
      </div>
      <h3 className="mt-4 mb-2 text-sm font-semibold">Incident timeline</h3>
      {items.length === 0 ? (
        <EmptyState title="No deployments, incidents or flag changes in this period" />
      ) : (
        <ol className="relative space-y-2 border-l border-gray-200 pl-4 dark:border-gray-800" aria-label="Incident timeline">
          {items.map((it) =>
            it.kind === "flag" ? (
              <li key={`f-${it.f.id}`} className="text-sm" title={it.f.summary}>
                <span className="absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full bg-amber-500" aria-hidden />
                <Badge color="yellow">flag</Badge> <span className="font-mono text-xs">{it.f.flagKey}</span> {it.f.action}
                {it.f.environmentName && ` in ${it.f.environmentName}`} ({it.f.source}) ·{" "}
                <span className="text-gray-500 dark:text-gray-400">
                  <DateTime value={it.f.occurredAt} />
                </span>
              </li>
            ) : it.kind === "deployment" ? (
              <li key={`d-${it.d.id}`} className="text-sm">
                <span className="absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full bg-blue-500" aria-hidden />
                <span className="font-mono text-xs">{it.d.version || "—"}</span> to {it.d.environmentName} ·{" "}
                <span className="text-gray-500 dark:text-gray-400">
                  <DateTime value={it.d.deployedAt} />
                </span>{" "}
                {it.d.isRollback && <Badge color="purple">rollback</Badge>} {it.d.status === "rolled_back" && <Badge color="red">rolled back</Badge>}
                {it.d.status === "failed" && <Badge color="red">failed</Badge>} {it.d.hasIncident && <Badge color="yellow">caused incident</Badge>}
              </li>
            ) : (
              <li key={`i-${it.i.id}`} className="text-sm">
                <span className="absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full bg-rose-500" aria-hidden />
                <Badge color="red">incident</Badge> {it.i.title} ·{" "}
                <span className="text-gray-500 dark:text-gray-400">
                  <DateTime value={it.i.detectedAt} />
                </span>{" "}
                {it.i.resolvedAt ? (
                  `restored in ${formatDuration((it.i.resolvedAt.getTime() - it.i.detectedAt.getTime()) / 1000)}`
                ) : (
                  <Badge color="red">open</Badge>
                )}
              </li>
            ),
          )}
        </ol>
      )}
    </Card>
  );
}
