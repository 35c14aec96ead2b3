// Environments side by side: each service's version in dev, staging, prod (per target where an environment has
// several), desired vs live, and how long a target has drifted.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { DateTime, DateTimeTitle } from "@/app/_components/time";

export const metadata = { title: "Compare environments" };

function duration(seconds: number) {
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export default async function CompareEnvironmentsPage() {
  const { environments, services, drifted } = await (await serverCaller()).drift.compare();
  return (
    <div className="max-w-6xl space-y-4">
      <PageHeader
        title="Compare environments"
        description="Versions side by side. Desired is the last approved deployment that succeeded; live is what the target last reported."
        actions={drifted > 0 ? <Badge color="red">{drifted} drifted</Badge> : <Badge color="green">no drift</Badge>}
      />
      {services.length === 0 ? (
        <EmptyState title="No services are set up in any environment" />
      ) : (
        <Table head={["Service", ...environments.map((e) => e.name)]} caption="Versions per environment">
          {services.map((s) => (
            <tr key={s.id}>
              <Td>
                <Link className="underline" href={`/services/${s.slug}`}>
                  {s.name}
                </Link>
              </Td>
              {environments.map((e) => {
                const cell = s.cells[e.id];
                if (!cell) return <Td key={e.id}>—</Td>;
                return (
                  <Td key={e.id}>
                    <span className="font-mono">{cell.version ?? "none"}</span>
                    <ul className="mt-1 space-y-0.5 text-xs">
                      {cell.targets
                        .filter((t) => t.target || t.status !== "unknown")
                        .map((t) => (
                          <li key={t.target}>
                            {t.target && <span className="font-mono">{t.target}: </span>}
                            {t.status === "drifted" ? (
                              <DateTimeTitle label="since" value={t.driftSince}>
                                <Badge color="red">
                                  drifted: live {t.live}, desired {t.desired}
                                  {t.driftSeconds !== null ? ` for ${duration(t.driftSeconds)}` : ""}
                                </Badge>
                              </DateTimeTitle>
                            ) : t.status === "in_sync" ? (
                              <Badge color="green">{t.live} in sync</Badge>
                            ) : (
                              <Badge>{t.live ?? "not reported"}</Badge>
                            )}
                          </li>
                        ))}
                    </ul>
                    {cell.lastDeployedAt && (
                      <span className="block text-xs text-gray-500 dark:text-gray-400">
                        deployed <DateTime value={cell.lastDeployedAt} relative />
                      </span>
                    )}
                  </Td>
                );
              })}
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
