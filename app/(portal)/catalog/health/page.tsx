// Ownership health: services whose owners cannot be reached, and deprecated services production still uses.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { PROBLEM_LABELS } from "@/server/catalog/ownership-health";
import { ServiceLink, TierBadge } from "../_components/catalog-badges";

export const metadata = { title: "Ownership health" };

export default async function OwnershipHealthPage() {
  const rows = await (await serverCaller()).catalog.ownershipHealth();
  return (
    <div>
      <PageHeader title="Ownership health" description="Services nobody can be reached for, and deprecated services production still depends on." />
      {rows.length === 0 ? (
        <EmptyState title="Every service has a reachable owner">No team without members or on-call, and nothing deprecated in production use.</EmptyState>
      ) : (
        <Table head={["Service", "Team", "Tier", "Problems"]} caption="Services with ownership problems">
          {rows.map((r) => (
            <tr key={r.id}>
              <Td>
                <ServiceLink slug={r.slug} name={r.name} />
              </Td>
              <Td>
                <Link href={`/teams/${r.teamSlug}`} className="hover:underline">
                  {r.teamName}
                </Link>
              </Td>
              <Td>
                <TierBadge tier={r.tier} />
              </Td>
              <Td className="whitespace-normal">
                <ul className="space-y-1">
                  {r.problems.map((p) => (
                    <li key={p}>
                      <Badge color={p === "deprecated_but_used_in_production" ? "yellow" : "red"}>{PROBLEM_LABELS[p]}</Badge>
                      {p === "deprecated_but_used_in_production" && (
                        <span className="ml-2 text-xs text-gray-500 dark:text-gray-400">used by {r.productionDependents.join(", ")}</span>
                      )}
                    </li>
                  ))}
                </ul>
              </Td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
