// Admin → Data quality: what the DORA feeds get wrong, so a platform team can fix them.
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Button, PageHeader, Select } from "@/app/_components/ui";
import { ListCard, MONO } from "./_list-card";
import { RetryButton } from "./_retry";

export const dynamic = "force-dynamic";

const WINDOWS = [7, 30, 90, 365, 730] as const;

type Search = Promise<{ days?: string | string[]; basis?: string | string[] }>;

export const metadata = { title: "Data quality" };

export default async function DataQualityPage({ searchParams }: { searchParams: Search }) {
  const raw = await searchParams;
  const days = WINDOWS.find((d) => String(d) === raw.days) ?? 30;
  const basis = raw.basis === "received" ? "received" : "event";
  const trpc = await serverCaller();
  const [r, dead] = await Promise.all([trpc.events.dataQuality({ days, basis }), trpc.events.deadLetters({ status: "dead" })]);
  return (
    <div className="space-y-6">
      <PageHeader
        title="Data quality"
        description={`Last ${days} days of ingestion by ${basis === "event" ? "event time (when things happened)" : "received time (when Pier got them: backfills show here)"}: refused events, unknown names and rows the metrics cannot link.`}
        actions={
          <form method="get" className="flex items-end gap-2">
            <label className="text-xs text-gray-600 dark:text-gray-400">
              Window
              <Select name="days" defaultValue={String(days)} className="mt-1">
                {WINDOWS.map((d) => (
                  <option key={d} value={d}>
                    {d} days
                  </option>
                ))}
              </Select>
            </label>
            <label className="text-xs text-gray-600 dark:text-gray-400">
              By
              <Select name="basis" defaultValue={basis} className="mt-1">
                <option value="event">event time</option>
                <option value="received">received time</option>
              </Select>
            </label>
            <Button type="submit" variant="secondary">
              Show
            </Button>
          </form>
        }
      />
      <ListCard
        title="How changes were credited to deployments"
        note="merge order = fallback: the deployment named no commit or change list, so every change merged before it was credited. Send the deployed commit (or change list) to fix."
        empty="No changes linked"
        rows={r.changeLinkage}
        rowKey={(x) => `${x.environmentName}-${x.linkedBy}`}
        columns={[
          { head: "Environment", cell: (x) => x.environmentName },
          { head: "Linked by", cell: (x) => <Badge color={x.linkedBy === "merge_order" ? "yellow" : "green"}>{x.linkedBy.replace("_", " ")}</Badge> },
          { head: "Changes", cell: (x) => x.count },
          { head: "Sources", cell: (x) => x.sources, className: MONO },
        ]}
      />
      <div className="grid gap-4 lg:grid-cols-2">
        <ListCard
          title="Refused events by reason"
          empty="Nothing refused"
          rows={r.rejectedByReason}
          rowKey={(x) => `${x.source}-${x.reason}`}
          columns={[
            { head: "Source", cell: (x) => x.source },
            { head: "Reason", cell: (x) => x.reason },
            { head: "Count", cell: (x) => x.count },
            { head: "Last", cell: (x) => <DateTime value={x.lastAt} /> },
          ]}
        />
        <ListCard
          title="Events by processing state"
          empty="No events received"
          rows={r.inbound}
          rowKey={(x) => `${x.source}-${x.status}`}
          columns={[
            { head: "Source", cell: (x) => x.source },
            {
              head: "Status",
              cell: (x) => <Badge color={x.status === "dead" ? "red" : x.status === "processed" ? "green" : "gray"}>{x.status}</Badge>,
            },
            { head: "Count", cell: (x) => x.count },
          ]}
        />
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <ListCard
          title="Unknown event types"
          note="Stored but not used by the metrics: custom types, or types the CDEvents release the sender declared does not define."
          empty="Every event had a known type"
          rows={r.unknownTypes}
          rowKey={(x) => `${x.source}-${x.type}`}
          columns={[
            { head: "Source", cell: (x) => x.source },
            { head: "Type", cell: (x) => x.type, className: MONO },
            { head: "Count", cell: (x) => x.count },
            { head: "Last received", cell: (x) => <DateTime value={x.lastAt} /> },
          ]}
        />
        <ListCard
          title="Environments the catalog does not know"
          empty="Every deployment names a known environment"
          rows={r.unknownEnvironments}
          rowKey={(x) => x.name}
          columns={[
            { head: "Environment as sent", cell: (x) => x.name || "(none)", className: MONO },
            { head: "Sources", cell: (x) => x.sources },
            { head: "Deployments", cell: (x) => x.count },
            { head: "Last", cell: (x) => <DateTime value={x.lastAt} /> },
          ]}
        />
      </div>
      <ListCard
        title={`Times in the future (${r.futureTimestamps.count})`}
        note="Events dated more than 10 minutes after Pier received them (a sender's clock or time-zone error). The metrics use the received time for them."
        empty="No event is dated in the future"
        rows={r.futureTimestamps.sample}
        rowKey={(x) => x.id}
        columns={[
          { head: "Source", cell: (x) => x.source },
          { head: "Type", cell: (x) => x.type, className: MONO },
          { head: "Event id", cell: (x) => x.externalId, className: `max-w-xs truncate ${MONO}` },
          { head: "Says it happened", cell: (x) => <DateTime value={x.occurredAt} /> },
          { head: "Received", cell: (x) => <DateTime value={x.receivedAt} /> },
        ]}
      />
      <ListCard
        title="Latest refusals"
        empty="Nothing refused"
        rows={r.recentRejections}
        rowKey={(x) => x.id}
        columns={[
          { head: "Last seen", cell: (x) => <DateTime value={x.lastSeenAt} /> },
          { head: "Source", cell: (x) => x.source },
          { head: "From", cell: (x) => x.sourceAddress || "—", className: MONO },
          { head: "Times", cell: (x) => x.count },
          { head: "Field", cell: (x) => x.field ?? "—", className: MONO },
          { head: "Reason", cell: (x) => x.reason, className: "max-w-md truncate" },
          { head: "Body (start)", cell: (x) => x.bodyExcerpt || "—", className: `max-w-xs truncate ${MONO}` },
        ]}
      />
      <ListCard
        title={`Dead events (${dead.length})`}
        empty="No dead events"
        rows={dead}
        rowKey={(d) => d.id}
        columns={[
          { head: "Received", cell: (d) => <DateTime value={d.receivedAt} /> },
          { head: "Source", cell: (d) => d.source },
          { head: "Type", cell: (d) => d.type },
          { head: "Attempts", cell: (d) => d.attempts },
          { head: "Error", cell: (d) => d.error, className: "max-w-md truncate" },
          { head: "", cell: (d) => <RetryButton id={d.id} /> },
        ]}
      />
      <div className="grid gap-4 lg:grid-cols-2">
        <ListCard
          title="Names the catalog does not know"
          empty="Every event names a catalog service"
          rows={r.unknownServices}
          rowKey={(x) => `${x.kind}-${x.name}`}
          columns={[
            { head: "Kind", cell: (x) => x.kind },
            { head: "Service name as sent", cell: (x) => x.name, className: MONO },
            { head: "Count", cell: (x) => x.count },
            { head: "Last", cell: (x) => <DateTime value={x.lastAt} /> },
          ]}
        />
        <ListCard
          title="Incidents with no service"
          empty="None"
          rows={r.incidentsWithoutService}
          rowKey={(x) => x.id}
          columns={[
            { head: "Incident", cell: (x) => x.title, className: "max-w-xs truncate" },
            { head: "Source", cell: (x) => x.source },
            { head: "Detected", cell: (x) => <DateTime value={x.detectedAt} /> },
          ]}
        />
      </div>
      <ListCard
        title={`Deployments with no linked changes (${r.deploymentsWithoutChanges.count})`}
        note="Lead time cannot be measured for these: send change events (GitHub push / pull_request, CDEvents change.merged) for their repositories."
        empty="Every deployment shipped known changes"
        rows={r.deploymentsWithoutChanges.sample}
        rowKey={(d) => d.id}
        columns={[
          { head: "Service", cell: (d) => d.serviceName },
          { head: "Environment", cell: (d) => d.environmentName },
          { head: "Version", cell: (d) => d.version || "—", className: MONO },
          { head: "Deployed", cell: (d) => <DateTime value={d.deployedAt} /> },
        ]}
      />
    </div>
  );
}
