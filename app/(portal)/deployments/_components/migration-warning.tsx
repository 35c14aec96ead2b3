"use client";
// Warns that the deployment of this version ran database migrations (server/ingest/deployment-migrations.ts): rolling
// it back leaves them applied, so the down steps come first. Nothing when it ran none.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_lib/trpc";

export function MigrationWarning({ serviceId, environmentId, version }: { serviceId: string; environmentId: string; version: string }) {
  const trpc = useTRPC();
  const migrations = useQuery(trpc.events.migrationsFor.queryOptions({ serviceId, environmentId, version })).data ?? [];
  if (migrations.length === 0) return null;
  return (
    <div
      role="note"
      className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      <p className="font-medium">
        {version} ran {migrations.length === 1 ? "a database migration" : `${migrations.length} database migrations`}: a rollback leaves{" "}
        {migrations.length === 1 ? "it" : "them"} applied. Run the down step first.
      </p>
      <ul className="mt-1 list-disc pl-5">
        {migrations.map((m) => (
          <li key={m.migrationId}>
            <code className="text-xs">{m.migrationId}</code>
            {m.description && ` — ${m.description}`}:{" "}
            {m.downStep ? (
              <>
                down step <code className="text-xs">{m.downStep}</code>
              </>
            ) : (
              <strong>no down step (cannot be undone automatically)</strong>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
