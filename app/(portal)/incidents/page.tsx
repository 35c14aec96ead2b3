// Incidents: the latest from every source, declare one for a service you own, resolve it when restored.
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { FLAG_SUSPECT_HOURS } from "@/server/dora/flag-suspects";
import { formatDuration } from "../dora/_format";
import { DeclareIncidentForm, ResolveButton } from "./_forms";

export const dynamic = "force-dynamic";

export const metadata = { title: "Incidents" };

export default async function IncidentsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const trpc = await serverCaller();
  const [incidents, filters] = await Promise.all([trpc.incidents.list({ open: sp.open === "1", take: 100 }), trpc.dora.filters()]);
  // Flags changed on each incident's service shortly before it started: the first thing to switch back.
  const suspects = incidents.length > 0 ? await trpc.dora.incidentFlagSuspects({ incidentIds: incidents.map((i) => i.id) }) : {};
  return (
    <div className="space-y-6">
      <PageHeader title="Incidents" description="From PagerDuty, CDEvents feeds and the portal. They feed change failure rate and time to restore." />
      <Card title="Declare an incident">
        <DeclareIncidentForm services={filters.services.map((s) => ({ id: s.id, name: s.name }))} environments={filters.environments.map((e) => e.name)} />
      </Card>
      <Card
        title="Recent incidents"
        actions={
          <a className="text-xs underline" href={sp.open === "1" ? "/incidents" : "/incidents?open=1"}>
            {sp.open === "1" ? "Show all" : "Only open"}
          </a>
        }
      >
        {incidents.length === 0 ? (
          <EmptyState title="No incidents" />
        ) : (
          <Table head={["Incident", "Service", "Severity", "Detected", "Restored", "Deployment", "Source", ""]} caption="Incidents">
            {incidents.map((i) => (
              <tr key={i.id}>
                <Td className="max-w-xs">
                  <span className="block truncate">{i.title}</span>
                  {(suspects[i.id] ?? []).length > 0 && (
                    <span className="mt-1 block text-xs text-gray-600 dark:text-gray-300" data-testid="flag-suspects">
                      Flags changed in the {FLAG_SUSPECT_HOURS} h before:{" "}
                      {suspects[i.id].slice(0, 3).map((f, n) => (
                        <span key={f.id} title={f.summary}>
                          {n > 0 && ", "}
                          <span className="font-mono">{f.flagKey}</span> {f.action} ({f.source})
                        </span>
                      ))}
                      {suspects[i.id].length > 3 && ` +${suspects[i.id].length - 3} more`}
                    </span>
                  )}
                </Td>
                <Td>{i.service?.name ?? (i.serviceName || "—")}</Td>
                <Td>
                  <Badge color={i.severity === "critical" ? "red" : i.severity === "high" ? "yellow" : "gray"}>{i.severity}</Badge>
                </Td>
                <Td>
                  <DateTime value={i.detectedAt} />
                </Td>
                <Td>{i.resolvedAt ? `after ${formatDuration((i.resolvedAt.getTime() - i.detectedAt.getTime()) / 1000)}` : <Badge color="red">open</Badge>}</Td>
                <Td className="font-mono text-xs">{i.deployment?.version ?? "—"}</Td>
                <Td>{i.source}</Td>
                <Td>{!i.resolvedAt && i.serviceId && <ResolveButton incidentId={i.id} />}</Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
