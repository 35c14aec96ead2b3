// Coordinated releases: the newest first, and the form that groups several services' deployments into one.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { DateTime } from "@/app/_components/time";
import { NewReleaseForm } from "./release-form";
import { releaseColor } from "./release-status";

export const metadata = { title: "Releases" };

export default async function ReleasesPage() {
  const caller = await serverCaller();
  const [releases, options] = await Promise.all([caller.releases.list(), caller.releases.formOptions()]);
  return (
    <div className="max-w-5xl space-y-4">
      <PageHeader
        title="Releases"
        description="Several services deployed to one environment together: providers before consumers, approved once, held or rolled back together."
      />
      {releases.length === 0 ? (
        <EmptyState title="No releases yet">Group two or more services below.</EmptyState>
      ) : (
        <Table head={["Release", "Environment", "Services", "Status", "Created"]} caption="Releases">
          {releases.map((r) => (
            <tr key={r.id}>
              <Td>
                <Link className="underline" href={`/releases/${r.id}`}>
                  {r.name}
                </Link>
                {r.creator && <span className="block text-xs text-gray-500 dark:text-gray-400">by {r.creator}</span>}
              </Td>
              <Td>{r.environment}</Td>
              <Td>{r.memberCount}</Td>
              <Td>
                <Badge color={releaseColor(r.status)}>{r.status.replace("_", " ")}</Badge>
              </Td>
              <Td>
                <DateTime value={r.createdAt} relative />
              </Td>
            </tr>
          ))}
        </Table>
      )}
      {options.services.length >= 2 && <NewReleaseForm environments={options.environments} services={options.services} />}
    </div>
  );
}
