// Incidents affecting this service, newest first, with the deployment each is linked to.
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState, LinkButton, Table, Td } from "@/app/_components/ui";

export async function IncidentsSection({ serviceId, serviceName }: { serviceId: string; serviceName: string }) {
  const incidents = await (await serverCaller()).incidents.list({ serviceId, take: 10 });
  return (
    <Card id="incidents" title="Incidents" actions={<LinkButton href="/incidents">All incidents</LinkButton>}>
      {incidents.length === 0 ? (
        <EmptyState title="No incidents recorded">Incidents reported for {serviceName} will be listed here.</EmptyState>
      ) : (
        <Table head={["Incident", "Severity", "Detected", "Resolved", "After deployment"]} caption={`Incidents of ${serviceName}`}>
          {incidents.map((i) => (
            <tr key={i.id}>
              <Td className="max-w-xs truncate">{i.title}</Td>
              <Td>
                <Badge color={i.severity === "critical" || i.severity === "high" ? "red" : "yellow"}>{i.severity}</Badge>
              </Td>
              <Td className="text-gray-500 dark:text-gray-400">
                <DateTime value={i.detectedAt} />
              </Td>
              <Td>{i.resolvedAt ? <DateTime value={i.resolvedAt} /> : <Badge color="red">open</Badge>}</Td>
              <Td className="font-mono text-xs">{i.deployment ? i.deployment.version : "—"}</Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
