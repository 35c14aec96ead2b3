// On an entity's page: the locations that list it, and, when none does any more, that it is an orphan (with the
// delete action for its owner or an admin). Renders nothing for an entity no location ever listed.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge } from "@/app/_components/ui";
import { OrphanDelete } from "./location-actions";

export async function EntityOrigin({ entityRef }: { entityRef: string }) {
  const origin = await (await serverCaller()).catalog.locations.origin({ ref: entityRef });
  if (!origin.locations.length) return null;
  return (
    <div
      role={origin.orphan ? "status" : undefined}
      className={`rounded-md border p-3 text-sm ${origin.orphan ? "border-yellow-300 bg-yellow-50 dark:border-yellow-700 dark:bg-yellow-950" : "border-gray-200 dark:border-gray-800"}`}
    >
      {origin.orphan ? (
        <div className="flex flex-wrap items-center gap-2">
          <Badge color="yellow">orphan</Badge>
          <span>No location lists this entity any more (last listed by {origin.locations.map((l) => l.target).join(", ")}).</span>
          {origin.canDelete && <OrphanDelete entityRef={origin.ref} />}
        </div>
      ) : (
        <span className="text-gray-600 dark:text-gray-300">
          Kept up to date from{" "}
          {origin.locations
            .filter((l) => !l.orphanedAt)
            .map((l) => (
              <Link key={l.id} href={`/catalog/locations#${l.id}`} className="font-mono text-xs hover:underline">
                {l.target}
              </Link>
            ))}
        </span>
      )}
    </div>
  );
}
