// Part of `npm run bench:catalog`: the time to import 5,000 Backstage entities as a background job (queued as
// `POST /api/catalog/import?async=1` queues it, then run as the pier-catalog-imports worker runs it, in chunks),
// with relations: per unit a Group, a System it owns, an API, a Component providing that API and depending on the
// previous unit's Component, and a Resource. Goal (issue #15): < 30 s on this machine.
import type { Db } from "../server/db";
import { startCatalogImport } from "../server/catalog/import-jobs";
import { runCatalogImport } from "../server/catalog/import-runner";
import { loadSessionUser } from "../server/identity/users";

const UNITS = 1000;

function catalog(units: number): string {
  const docs: string[] = [];
  for (let k = 0; k < units; k++) {
    const owner = `bench-group-${k}`;
    const doc = (kind: string, name: string, spec: string) =>
      `---\napiVersion: backstage.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
    docs.push(doc("Group", owner, `  type: team\n  children: []\n`));
    docs.push(doc("System", `bench-system-${k}`, `  owner: ${owner}\n`));
    docs.push(
      doc(
        "API",
        `bench-api-${k}`,
        `  type: openapi\n  lifecycle: production\n  owner: ${owner}\n  system: bench-system-${k}\n  definition: "openapi: 3.0.0"\n`,
      ),
    );
    docs.push(
      doc(
        "Component",
        `bench-component-${k}`,
        `  type: service\n  lifecycle: production\n  owner: ${owner}\n  system: bench-system-${k}\n  providesApis: [bench-api-${k}]\n` +
          (k > 0 ? `  dependsOn: [component:bench-component-${k - 1}]\n` : ""),
      ),
    );
    docs.push(doc("Resource", `bench-db-${k}`, `  type: database\n  owner: ${owner}\n  system: bench-system-${k}\n`));
  }
  return docs.join("");
}

/** Imports 5,000 entities through the background path and prints the time from queueing to the job's end. */
export async function benchBackgroundImport(db: Db, adminId: string) {
  const admin = await loadSessionUser(db, adminId);
  if (!admin) throw new Error("no bench admin");
  const text = catalog(UNITS);
  const t0 = performance.now();
  const queued = await startCatalogImport(db, admin, text);
  const outcome = await runCatalogImport(db, queued.id);
  const seconds = (performance.now() - t0) / 1000;
  const job = await db.kysely
    .selectFrom("CatalogImport")
    .select(["documents", "created", "updated", "unchanged", "skipped", "errorCount"])
    .where("id", "=", queued.id)
    .executeTakeFirstOrThrow();
  const relations = Number(
    (
      await db.kysely
        .selectFrom("CatalogRelation")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
  console.log(JSON.stringify({ scenario: "background import of 5,000 entities", outcome, ...job, relations, seconds: +seconds.toFixed(1) }));
  console.log(
    `background import of ${job.documents} entities: ${seconds.toFixed(1)} s (goal < 30 s) ${seconds < 30 && outcome === "succeeded" ? "OK" : "OVER GOAL"}`,
  );
}
