// What runs where: the live version per environment from the latest succeeded deployment by event time, whatever
// reported it (Pier, GitHub, Argo CD, CDEvents…), with that source (server/dora/live-version.ts).
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Card, EmptyState, Table, Td } from "@/app/_components/ui";

export async function LiveVersions({ serviceId }: { serviceId: string }) {
  const rows = await (await serverCaller()).dora.liveVersions({ serviceId });
  return (
    <Card title="Live versions (all deployment sources)">
      {rows.length === 0 ? (
        <EmptyState title="No deployment reported yet" />
      ) : (
        <Table head={["Environment", "Version", "Since", "Reported by"]} caption="Live versions">
          {rows.map((r) => (
            <tr key={r.environment} data-testid="live-version">
              <Td>{r.environment}</Td>
              <Td className="font-mono text-xs">{r.version || "—"}</Td>
              <Td>
                <DateTime value={r.deployedAt} />
              </Td>
              <Td>{r.source}</Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
