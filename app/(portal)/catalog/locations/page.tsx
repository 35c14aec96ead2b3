// Registered catalog locations (discovery): each with its status, last read, entity count, errors and orphans; admins
// register, refresh and delete them. Workers read every location again every few minutes.
import Link from "next/link";
import { currentUser, serverCaller } from "@/app/_lib/server-caller";
import { Badge, Card, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { DateTime } from "@/app/_components/time";
import { canAdminister } from "@/server/identity/access";
import { LocationActions, OrphanDelete } from "./location-actions";
import { RegisterLocationForm } from "./register-form";

export const metadata = { title: "Catalog locations" };

const STATUS_COLOR = { ok: "green", error: "red", pending: "gray" } as const;

/** The entity page of a ref `kind:namespace/name`. */
const entityHref = (ref: string) => {
  const m = /^([^:]+):([^/]+)\/(.+)$/.exec(ref);
  return m ? `/catalog/entity/${m.slice(1).map(encodeURIComponent).join("/")}` : "/catalog/entities";
};

export default async function LocationsPage() {
  const user = await currentUser();
  if (!user || !canAdminister(user)) {
    return (
      <div className="max-w-3xl">
        <PageHeader title="Catalog locations" />
        <EmptyState title="Only admins manage catalog locations">Ask an admin to register your repository&apos;s catalog-info.yaml.</EmptyState>
      </div>
    );
  }
  const locations = await (await serverCaller()).catalog.locations.list();
  return (
    <div className="space-y-4">
      <PageHeader
        title="Catalog locations"
        description="Files and GitHub organisations Pier reads Backstage entities from, every few minutes. An entity its location no longer lists is an orphan: kept and marked until its owner deletes it."
      />
      {locations.length === 0 ? (
        <EmptyState title="No locations yet">Register a catalog-info.yaml URL or a GitHub organisation below.</EmptyState>
      ) : (
        <Table head={["Location", "Status", "Last read", "Entities", "Orphans", ""]} caption="Registered catalog locations">
          {locations.map((l) => (
            <tr key={l.id} id={l.id}>
              <Td className="whitespace-normal">
                <div className="flex flex-wrap items-center gap-2">
                  <Badge color="purple">{l.type === "github-org" ? "GitHub org" : "file"}</Badge>
                  <span className="font-mono text-xs break-all">{l.target}</span>
                  {l.example && <Badge title="A demo location: shown, never read">example</Badge>}
                </div>
                {l.integration && <div className="text-xs text-gray-500 dark:text-gray-400">read with integration {l.integration}</div>}
                {l.error && <pre className="mt-1 text-xs whitespace-pre-wrap text-red-700 dark:text-red-300">{l.error}</pre>}
              </Td>
              <Td>
                <Badge color={STATUS_COLOR[l.status as keyof typeof STATUS_COLOR] ?? "gray"}>{l.status}</Badge>
              </Td>
              <Td>
                <DateTime value={l.lastReadAt} relative />
                {l.lastChangedAt && (
                  <div className="text-xs text-gray-500 dark:text-gray-400">
                    changed <DateTime value={l.lastChangedAt} />
                  </div>
                )}
              </Td>
              <Td>{l.entityCount}</Td>
              <Td className="whitespace-normal">
                {l.orphanRefs.length === 0 ? (
                  "0"
                ) : (
                  <ul className="space-y-1 text-xs">
                    {l.orphanRefs.map((ref) => (
                      <li key={ref} className="flex items-center gap-2">
                        <Link href={entityHref(ref)} className="font-mono hover:underline">
                          {ref}
                        </Link>
                        <OrphanDelete entityRef={ref} />
                      </li>
                    ))}
                  </ul>
                )}
              </Td>
              <Td>
                <LocationActions id={l.id} target={l.target} example={l.example} />
              </Td>
            </tr>
          ))}
        </Table>
      )}
      <Card title="Register a location">
        <RegisterLocationForm />
      </Card>
    </div>
  );
}
