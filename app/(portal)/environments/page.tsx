// Environments and their fleets: how many targets each runs on, and how many are unhealthy or drained.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, PageHeader, Table, Td } from "@/app/_components/ui";

export const metadata = { title: "Environments and targets" };

export default async function EnvironmentsPage() {
  const envs = await (await serverCaller()).rollouts.environments();
  return (
    <div className="max-w-4xl space-y-4">
      <PageHeader
        title="Environments"
        description="Where services run: each environment's deployment targets (clusters, regions) and their health."
        actions={
          <Link className="underline" href="/environments/compare">
            Compare versions and drift
          </Link>
        }
      />
      <Table head={["Environment", "Targets", "Health", ""]} caption="Environments and their targets">
        {envs.map((e) => (
          <tr key={e.id}>
            <Td>
              <Link className="underline" href={`/environments/${encodeURIComponent(e.name)}`}>
                {e.name}
              </Link>
            </Td>
            <Td>{Number(e.targets) === 0 ? "one (implicit)" : Number(e.targets)}</Td>
            <Td>
              {Number(e.unhealthy) > 0 && <Badge color="red">{Number(e.unhealthy)} unhealthy</Badge>}{" "}
              {Number(e.drained) > 0 && <Badge color="yellow">{Number(e.drained)} drained</Badge>}
              {Number(e.targets) > 0 && Number(e.unhealthy) === 0 && Number(e.drained) === 0 && <Badge color="green">all healthy</Badge>}
            </Td>
            <Td>{e.isProduction && <Badge color="red">production</Badge>}</Td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
