// Recent deployment requests of this service (Pier's own), newest first, each a link to its timeline.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Card, EmptyState, LinkButton, Table, Td } from "@/app/_components/ui";
import { StatusBadge } from "@/app/(portal)/deployments/_components/status-badge";

export async function DeploymentsSection({ serviceId, serviceName }: { serviceId: string; serviceName: string }) {
  const { items } = await (await serverCaller()).deployments.list({ serviceId, limit: 10 });
  return (
    <Card id="deployments" title="Recent deployments" actions={<LinkButton href={`/deployments/new?serviceId=${serviceId}`}>Request deployment</LinkButton>}>
      {items.length === 0 ? (
        <EmptyState title="No deployments yet">Deployments of {serviceName} requested through Pier will be listed here.</EmptyState>
      ) : (
        <Table head={["Environment", "Version", "Status", "Requested by", "When"]} caption={`Recent deployments of ${serviceName}`}>
          {items.map((d) => (
            <tr key={d.id}>
              <Td>{d.environment.name}</Td>
              <Td>
                <Link href={`/deployments/${d.id}`} className="font-mono text-brand-600 hover:underline dark:text-brand-100">
                  {d.previousVersion ? `${d.previousVersion} → ` : ""}
                  {d.version}
                </Link>
              </Td>
              <Td>
                <StatusBadge status={d.status} />
              </Td>
              <Td>{d.requester.name}</Td>
              <Td className="text-gray-500 dark:text-gray-400">
                <DateTime value={d.createdAt} />
              </Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
