// The rows behind a dashboard number (server component): same filter, same SQL predicates as the number.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState, LinkButton, Table, Td } from "@/app/_components/ui";
import { formatDuration } from "./_format";
import { LinkReview } from "./_link-review";

export type DrillKind = "deployments" | "failures" | "changes" | "incidents";
type Filter = { from: Date; to: Date; teamId?: string; serviceId?: string; environment?: string; target?: string };

const TITLES: Record<DrillKind, string> = {
  deployments: "Deployments counted by deployment frequency",
  failures: "Deployments counted as change failures",
  changes: "Changes behind the lead time (slowest first)",
  incidents: "Incidents behind time to restore",
};

type Props = { kind: DrillKind; filter: Filter; week?: string; page: number; closeHref: string; pageHref: (page: number) => string };

/** "Rows 51–100 of 1682" with Newer/Older (or Faster for lead times) links: the table shows one page of the rows. */
function Pager({
  page,
  pageSize,
  total,
  shown,
  kind,
  pageHref,
}: {
  page: number;
  pageSize: number;
  total: number;
  shown: number;
  kind: DrillKind;
  pageHref: (page: number) => string;
}) {
  if (total <= pageSize && page === 1) return null;
  const first = (page - 1) * pageSize + 1;
  const [back, forward] = kind === "changes" ? ["Slower", "Faster"] : ["Newer", "Older"];
  return (
    <nav aria-label="Drill-down pages" className="mt-3 flex items-center gap-3 text-sm">
      <span className="text-gray-600 dark:text-gray-400">
        {shown > 0 ? `Rows ${first}–${first + shown - 1} of ${total}` : `No rows on page ${page} of ${total}`}
      </span>
      {page > 1 && <LinkButton href={pageHref(page - 1)}>{back}</LinkButton>}
      {first + shown - 1 < total && shown > 0 && <LinkButton href={pageHref(page + 1)}>{forward}</LinkButton>}
    </nav>
  );
}

export async function Drilldown({ kind, filter, week, page, closeHref, pageHref }: Props) {
  const trpc = await serverCaller();
  const input = { ...filter, week: week ?? null, page };
  const close = (
    <Link href={closeHref} className="text-xs text-gray-500 underline dark:text-gray-400">
      Close
    </Link>
  );
  const pager = (r: { page: number; pageSize: number; total: number; rows: unknown[] }) => (
    <Pager page={r.page} pageSize={r.pageSize} total={r.total} shown={r.rows.length} kind={kind} pageHref={pageHref} />
  );
  const title = `${TITLES[kind]}${week ? ` · week of ${week}` : ""}`;
  if (kind === "deployments" || kind === "failures") {
    const result = await trpc.dora.deployments({ ...input, onlyFailures: kind === "failures" });
    const { rows, total } = result;
    return (
      <Card id="drilldown" title={`${title} (${total})`} actions={close}>
        {rows.length === 0 ? (
          <EmptyState title="No deployments in this selection" />
        ) : (
          <Table head={["Service", "Version", "Deployed", "Status", "Changes", "Incidents", "Source"]} caption="Deployments">
            {rows.map((d) => (
              <tr key={d.id} data-testid="drill-deployment">
                <Td>{d.serviceName}</Td>
                <Td className="font-mono text-xs">{d.version || "—"}</Td>
                <Td>
                  <DateTime value={d.deployedAt} />
                </Td>
                <Td>{d.isFailure ? <Badge color="red">{d.status === "rolled_back" ? "rolled back" : "incident"}</Badge> : <Badge color="green">ok</Badge>}</Td>
                <Td>{d.changes}</Td>
                <Td>{d.incidents}</Td>
                <Td>
                  {d.deploymentRequestId ? (
                    <Link className="underline" href={`/deployments/${d.deploymentRequestId}`}>
                      Pier
                    </Link>
                  ) : (
                    d.source
                  )}
                </Td>
              </tr>
            ))}
          </Table>
        )}
        {pager(result)}
      </Card>
    );
  }
  if (kind === "changes") {
    const result = await trpc.dora.changes(input);
    const { rows, total } = result;
    return (
      <Card id="drilldown" title={`${title} (${total})`} actions={close}>
        {rows.length === 0 ? (
          <EmptyState title="No changes shipped in this selection" />
        ) : (
          <Table head={["Service", "Change", "Lead time from", "Deployed", "Version", "Linked by", "Lead time", "Source"]} caption="Changes">
            {rows.map((c) => (
              <tr key={`${c.changeId}-${c.deploymentId}`}>
                <Td>{c.serviceName}</Td>
                <Td className="max-w-xs truncate">{c.title || c.externalId.slice(0, 12)}</Td>
                <Td>
                  <DateTime value={c.startKind === "first_commit" ? c.firstCommitAt : c.mergedAt} />{" "}
                  <span className="text-xs text-gray-500 dark:text-gray-400">{c.startKind === "first_commit" ? "first commit" : "merge"}</span>
                </Td>
                <Td>
                  <DateTime value={c.deployedAt} />
                </Td>
                <Td className="font-mono text-xs">{c.version || "—"}</Td>
                <Td>
                  <Badge color={c.linkedBy === "merge_order" ? "yellow" : "green"}>{c.linkedBy.replace("_", " ")}</Badge>
                </Td>
                <Td>{formatDuration(c.leadTimeSeconds)}</Td>
                <Td className="text-xs">
                  {c.source} →{" "}
                  {c.deploymentRequestId ? (
                    <Link className="underline" href={`/deployments/${c.deploymentRequestId}`}>
                      Pier
                    </Link>
                  ) : (
                    c.deploymentSource
                  )}
                </Td>
              </tr>
            ))}
          </Table>
        )}
        {pager(result)}
      </Card>
    );
  }
  const result = await trpc.dora.incidents(input);
  const { rows, total } = result;
  return (
    <Card id="drilldown" title={`${title} (${total})`} actions={close}>
      {rows.length === 0 ? (
        <EmptyState title="No incidents in this selection" />
      ) : (
        <Table head={["Incident", "Service", "Severity", "Detected", "Restored in", "Caused by", "Linked by", "Source", "Review"]} caption="Incidents">
          {rows.map((i) => (
            <tr key={i.id}>
              <Td className="max-w-xs truncate">{i.title}</Td>
              <Td>{i.serviceName || "—"}</Td>
              <Td>
                <Badge color={i.severity === "critical" ? "red" : i.severity === "high" ? "yellow" : "gray"}>{i.severity}</Badge>
              </Td>
              <Td>
                <DateTime value={i.detectedAt} />
              </Td>
              <Td>{i.resolvedAt ? formatDuration(i.restoreSeconds) : <Badge color="red">open</Badge>}</Td>
              <Td className="font-mono text-xs">{i.deploymentVersion ?? "—"}</Td>
              <Td>
                {i.linkReason ? (
                  <Badge color={i.linkReason === "window" ? "yellow" : "green"} title={i.rootCauseRef ? `root cause ${i.rootCauseRef}` : undefined}>
                    {i.linkReason === "window" ? "time window" : i.linkReason}
                    {i.linkStatus ? ` · ${i.linkStatus}` : ""}
                  </Badge>
                ) : (
                  "—"
                )}
              </Td>
              <Td className="text-xs">{i.source}</Td>
              <Td>{i.deploymentId && i.linkStatus !== "confirmed" ? <LinkReview incidentId={i.id} /> : null}</Td>
            </tr>
          ))}
        </Table>
      )}
      {pager(result)}
    </Card>
  );
}
