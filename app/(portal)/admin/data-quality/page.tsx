// Admin → Data quality: what the DORA feeds get wrong, so a platform team can fix them.
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, Card, EmptyState, PageHeader, Table, Td, formatDateTime } from "@/app/_components/ui";
import { RetryButton } from "./_retry";

export const dynamic = "force-dynamic";

export default async function DataQualityPage() {
  const trpc = await serverCaller();
  const [r, dead] = await Promise.all([trpc.events.dataQuality({ days: 30 }), trpc.events.deadLetters({ status: "dead" })]);
  return (
    <div className="space-y-6">
      <PageHeader title="Data quality" description="Last 30 days of ingestion: refused events, unknown names and rows the metrics cannot link." />
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
                  <Td>{formatDateTime(x.lastAt)}</Td>
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
      <Card title="Latest refusals">
        {r.recentRejections.length === 0 ? (
          <EmptyState title="Nothing refused" />
        ) : (
          <Table head={["Last seen", "Source", "From", "Times", "Field", "Reason", "Body (start)"]} caption="Latest refusals">
            {r.recentRejections.map((x) => (
              <tr key={x.id}>
                <Td>{formatDateTime(x.lastSeenAt)}</Td>
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
                <Td>{formatDateTime(d.receivedAt)}</Td>
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
                  <Td>{formatDateTime(x.lastAt)}</Td>
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
                  <Td>{formatDateTime(x.detectedAt)}</Td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
      <Card title={`Deployments with no linked changes (${r.deploymentsWithoutChanges.count})`}>
        <p className="mb-2 text-xs text-gray-500">
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
                <Td>{formatDateTime(d.deployedAt)}</Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
