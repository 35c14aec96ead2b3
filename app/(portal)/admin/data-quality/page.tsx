// Admin → Data quality: what the DORA feeds get wrong, so a platform team can fix them.
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Button, Card, EmptyState, PageHeader, Select, Table, Td } from "@/app/_components/ui";
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
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Refused events by reason">
          {r.rejectedByReason.length === 0 ? (
            <EmptyState title="Nothing refused" />
          ) : (
            <Table head={["Source", "Reason", "Count", "Last"]} caption="Rejections by reason">
              {r.rejectedByReason.map((x) => (
                <tr key={`${x.source}-${x.reason}`}>
                  <Td>{x.source}</Td>
                  <Td>{x.reason}</Td>
                  <Td>{x.count}</Td>
                  <Td>
                    <DateTime value={x.lastAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
        <Card title="Events by processing state">
          {r.inbound.length === 0 ? (
            <EmptyState title="No events received" />
          ) : (
            <Table head={["Source", "Status", "Count"]} caption="Inbound events">
              {r.inbound.map((x) => (
                <tr key={`${x.source}-${x.status}`}>
                  <Td>{x.source}</Td>
                  <Td>
                    <Badge color={x.status === "dead" ? "red" : x.status === "processed" ? "green" : "gray"}>{x.status}</Badge>
                  </Td>
                  <Td>{x.count}</Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Unknown event types">
          <p className="mb-2 text-xs text-gray-500 dark:text-gray-400">
            Stored but not used by the metrics: custom types, or types the CDEvents release the sender declared does not define.
          </p>
          {r.unknownTypes.length === 0 ? (
            <EmptyState title="Every event had a known type" />
          ) : (
            <Table head={["Source", "Type", "Count", "Last received"]} caption="Unknown event types">
              {r.unknownTypes.map((x) => (
                <tr key={`${x.source}-${x.type}`}>
                  <Td>{x.source}</Td>
                  <Td className="font-mono text-xs">{x.type}</Td>
                  <Td>{x.count}</Td>
                  <Td>
                    <DateTime value={x.lastAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
        <Card title="Environments the catalog does not know">
          {r.unknownEnvironments.length === 0 ? (
            <EmptyState title="Every deployment names a known environment" />
          ) : (
            <Table head={["Environment as sent", "Sources", "Deployments", "Last"]} caption="Unknown environments">
              {r.unknownEnvironments.map((x) => (
                <tr key={x.name}>
                  <Td className="font-mono text-xs">{x.name || "(none)"}</Td>
                  <Td>{x.sources}</Td>
                  <Td>{x.count}</Td>
                  <Td>
                    <DateTime value={x.lastAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
      <Card title={`Times in the future (${r.futureTimestamps.count})`}>
        <p className="mb-2 text-xs text-gray-500 dark:text-gray-400">
          Events dated more than 10 minutes after Pier received them (a sender&apos;s clock or time-zone error). The metrics use the received time for them.
        </p>
        {r.futureTimestamps.sample.length === 0 ? (
          <EmptyState title="No event is dated in the future" />
        ) : (
          <Table head={["Source", "Type", "Event id", "Says it happened", "Received"]} caption="Events dated in the future">
            {r.futureTimestamps.sample.map((x) => (
              <tr key={x.id}>
                <Td>{x.source}</Td>
                <Td className="font-mono text-xs">{x.type}</Td>
                <Td className="max-w-xs truncate font-mono text-xs">{x.externalId}</Td>
                <Td>
                  <DateTime value={x.occurredAt} />
                </Td>
                <Td>
                  <DateTime value={x.receivedAt} />
                </Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <Card title="Latest refusals">
        {r.recentRejections.length === 0 ? (
          <EmptyState title="Nothing refused" />
        ) : (
          <Table head={["Last seen", "Source", "From", "Times", "Field", "Reason", "Body (start)"]} caption="Latest refusals">
            {r.recentRejections.map((x) => (
              <tr key={x.id}>
                <Td>
                  <DateTime value={x.lastSeenAt} />
                </Td>
                <Td>{x.source}</Td>
                <Td className="font-mono text-xs">{x.sourceAddress || "—"}</Td>
                <Td>{x.count}</Td>
                <Td className="font-mono text-xs">{x.field ?? "—"}</Td>
                <Td className="max-w-md truncate">{x.reason}</Td>
                <Td className="max-w-xs truncate font-mono text-xs">{x.bodyExcerpt || "—"}</Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <Card title={`Dead events (${dead.length})`}>
        {dead.length === 0 ? (
          <EmptyState title="No dead events" />
        ) : (
          <Table head={["Received", "Source", "Type", "Attempts", "Error", ""]} caption="Dead events">
            {dead.map((d) => (
              <tr key={d.id}>
                <Td>
                  <DateTime value={d.receivedAt} />
                </Td>
                <Td>{d.source}</Td>
                <Td>{d.type}</Td>
                <Td>{d.attempts}</Td>
                <Td className="max-w-md truncate">{d.error}</Td>
                <Td>
                  <RetryButton id={d.id} />
                </Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Names the catalog does not know">
          {r.unknownServices.length === 0 ? (
            <EmptyState title="Every event names a catalog service" />
          ) : (
            <Table head={["Kind", "Service name as sent", "Count", "Last"]} caption="Unknown services">
              {r.unknownServices.map((x) => (
                <tr key={`${x.kind}-${x.name}`}>
                  <Td>{x.kind}</Td>
                  <Td className="font-mono text-xs">{x.name}</Td>
                  <Td>{x.count}</Td>
                  <Td>
                    <DateTime value={x.lastAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
        <Card title="Incidents with no service">
          {r.incidentsWithoutService.length === 0 ? (
            <EmptyState title="None" />
          ) : (
            <Table head={["Incident", "Source", "Detected"]} caption="Incidents without service">
              {r.incidentsWithoutService.map((x) => (
                <tr key={x.id}>
                  <Td className="max-w-xs truncate">{x.title}</Td>
                  <Td>{x.source}</Td>
                  <Td>
                    <DateTime value={x.detectedAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
      <Card title={`Deployments with no linked changes (${r.deploymentsWithoutChanges.count})`}>
        <p className="mb-2 text-xs text-gray-500 dark:text-gray-400">
          Lead time cannot be measured for these: send change events (GitHub push / pull_request, CDEvents change.merged) for their repositories.
        </p>
        {r.deploymentsWithoutChanges.sample.length === 0 ? (
          <EmptyState title="Every deployment shipped known changes" />
        ) : (
          <Table head={["Service", "Environment", "Version", "Deployed"]} caption="Deployments without changes">
            {r.deploymentsWithoutChanges.sample.map((d) => (
              <tr key={d.id}>
                <Td>{d.serviceName}</Td>
                <Td>{d.environmentName}</Td>
                <Td className="font-mono text-xs">{d.version || "—"}</Td>
                <Td>
                  <DateTime value={d.deployedAt} />
                </Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
