// Part of `npm run bench:catalog`: the time to import BENCH_CATALOG_ENTITIES (default 5,000) Backstage entities as
// background jobs (queued as `POST /api/catalog/import?async=1` queues them, then run as the pier-catalog-imports
// worker runs them, in chunks; one job per 20,000 entities, the most a job takes), with relations: per unit a Group,
// a System it owns, an API, a Component providing that API and depending on the previous unit's Component, and a
// Resource. Goal (issue #15): 5,000 in < 30 s on this machine.
import type { Db } from "../server/db";
import { startCatalogImport } from "../server/catalog/import-jobs";
import { runCatalogImport } from "../server/catalog/import-runner";
import { JOB_IMPORT_LIMITS } from "../server/catalog/import-limits";
import { loadSessionUser } from "../server/identity/users";

/** Entities to import; 50000 for the "a real organisation's catalog" size. */
export const BENCH_ENTITIES = Number(process.env.BENCH_CATALOG_ENTITIES ?? 5000);
const PER_UNIT = 5;
export const BENCH_UNITS = Math.max(1, Math.ceil(BENCH_ENTITIES / PER_UNIT));

function catalog(from: number, to: number): string {
  const docs: string[] = [];
  for (let k = from; k < to; k++) {
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

/** Imports the entities through the background path and prints the time from the first queueing to the last job's end. */
export async function benchBackgroundImport(db: Db, adminId: string) {
  const admin = await loadSessionUser(db, adminId);
  if (!admin) throw new Error("no bench admin");
  const unitsPerJob = Math.floor(JOB_IMPORT_LIMITS.documents / PER_UNIT);
  const files: string[] = [];
  for (let from = 0; from < BENCH_UNITS; from += unitsPerJob) files.push(catalog(from, Math.min(BENCH_UNITS, from + unitsPerJob)));
  const t0 = performance.now();
  const ids: string[] = [];
  const outcomes: string[] = [];
  for (const text of files) {
    const queued = await startCatalogImport(db, admin, text);
    ids.push(queued.id);
    outcomes.push(await runCatalogImport(db, queued.id));
  }
  const seconds = (performance.now() - t0) / 1000;
  const outcome = outcomes.every((o) => o === "succeeded") ? "succeeded" : outcomes.join(",");
  const job = await db.kysely
    .selectFrom("CatalogImport")
    .select((eb) => (["documents", "created", "updated", "unchanged", "skipped", "errorCount"] as const).map((c) => eb.fn.sum<string>(c).as(c)))
    .where("id", "in", ids)
    .executeTakeFirstOrThrow();
  const relations = Number(
    (
      await db.kysely
        .selectFrom("CatalogRelation")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const counts = Object.fromEntries(Object.entries(job).map(([k, v]) => [k, Number(v)]));
  console.log(
    JSON.stringify({
      scenario: `background import of ${BENCH_ENTITIES} entities`,
      jobs: ids.length,
      outcome,
      ...counts,
      relations,
      seconds: +seconds.toFixed(1),
    }),
  );
  // The goal is for 5,000 entities; larger runs print their figure against the same rate.
  const goal = (30 * counts.documents) / 5000;
  console.log(
    `background import of ${counts.documents} entities: ${seconds.toFixed(1)} s (goal < ${goal.toFixed(0)} s) ${seconds < goal && outcome === "succeeded" ? "OK" : "OVER GOAL"}`,
  );
}
