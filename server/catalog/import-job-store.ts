// The one module that writes CatalogImport and CatalogImportEntity rows (background catalog imports). Progress and
// per-entity results are deferred writes sent with the chunk's COMMIT, next to the entities the chunk changed, so a
// job's counters always match what is in the catalog. The domain logic is ./import-jobs.ts and ./import-runner.ts.
import type { Insertable } from "kysely";
import { sql, type DB, type Kysely, type Selectable, type Tx } from "../db";

type ImportRow = Selectable<DB["CatalogImport"]>;

/** Everything about a job but its YAML: what progress reports and the runner read. */
const IMPORT_PROGRESS = [
  "id",
  "requestedById",
  "status",
  "bytes",
  "documents",
  "processed",
  "linkTotal",
  "linked",
  "created",
  "updated",
  "unchanged",
  "skipped",
  "errorCount",
  "warningCount",
  "attempts",
  "failure",
  "createdAt",
  "startedAt",
  "finishedAt",
] as const satisfies readonly (keyof ImportRow)[];
export type ImportProgress = Pick<ImportRow, (typeof IMPORT_PROGRESS)[number]>;

export type EntityStatus = "created" | "updated" | "unchanged" | "skipped" | "error";
export type EntityResult = { index: number; kind: string; name: string; status: EntityStatus; message: string | null; warnings: string[] };

/** The counters a chunk adds to. */
export type Tally = Record<"created" | "updated" | "unchanged" | "skipped" | "errorCount" | "warningCount", number>;
export const emptyTally = (): Tally => ({ created: 0, updated: 0, unchanged: 0, skipped: 0, errorCount: 0, warningCount: 0 });

/** At once, not with the COMMIT: a 20 MB row should not be written while the commit holds the audit chain's head. */
export async function insertImportJob(tx: Tx, row: Pick<Insertable<DB["CatalogImport"]>, "id" | "requestedById" | "yaml" | "bytes" | "documents">) {
  await tx.insertInto("CatalogImport").values(row).execute();
}

/** Imports of this user's not yet finished; two submissions of one user are counted one after the other. */
export async function countActiveImports(tx: Tx, userId: string): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`catalog-import:${userId}`}))`.execute(tx);
  const row = await tx
    .selectFrom("CatalogImport")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("requestedById", "=", userId)
    .where("status", "in", ["queued", "running"])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function readImportJob(db: Kysely<DB>, id: string): Promise<ImportProgress | undefined> {
  return db.selectFrom("CatalogImport").select(IMPORT_PROGRESS).where("id", "=", id).executeTakeFirst();
}

/** The job's row locked for this transaction: one chunk at a time per job, whichever worker runs it. */
export async function lockImportJob(tx: Tx, id: string): Promise<ImportProgress | undefined> {
  return tx.selectFrom("CatalogImport").select(IMPORT_PROGRESS).where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function readImportYaml(db: Kysely<DB>, id: string): Promise<string | undefined> {
  return (await db.selectFrom("CatalogImport").select("yaml").where("id", "=", id).executeTakeFirst())?.yaml;
}

/** Moves the job on: counters added, columns set (status, cursors, times, failure). */
export function advanceImportJob(
  tx: Tx,
  id: string,
  change: {
    add?: Partial<Tally>;
    set?: Partial<Pick<ImportRow, "status" | "processed" | "linked" | "linkTotal" | "startedAt" | "finishedAt" | "failure" | "yaml">>;
  },
) {
  const add = Object.entries(change.add ?? {}).filter(([, n]) => n !== 0) as [keyof Tally, number][];
  if (!add.length && !change.set) return;
  tx.deferred.write(
    tx
      .updateTable("CatalogImport")
      .set((eb) => ({ ...change.set, ...Object.fromEntries(add.map(([column, n]) => [column, eb(column, "+", n)])) }))
      .where("id", "=", id),
  );
}

/** A failed run: counted (the job gives up after a few), set at once so it survives the run's failure. */
export async function countFailedAttempt(db: Kysely<DB>, id: string): Promise<number> {
  const row = await db
    .updateTable("CatalogImport")
    .set({ attempts: sql`attempts + 1` })
    .where("id", "=", id)
    .returning("attempts")
    .executeTakeFirst();
  return row?.attempts ?? 0;
}

export function recordEntityResults(tx: Tx, importId: string, results: EntityResult[]) {
  if (!results.length) return;
  tx.deferred.write(tx.insertInto("CatalogImportEntity").values(results.map((r) => ({ importId, ...r }))));
}

/** The dependency pass: an entity whose dependencies changed (status) or that got warnings. */
export function reviseEntityResult(tx: Tx, importId: string, index: number, change: { status?: EntityStatus; message?: string; warnings: string[] }) {
  tx.deferred.write(
    tx
      .updateTable("CatalogImportEntity")
      .set({ ...(change.status ? { status: change.status, message: change.message } : {}), warnings: sql`warnings || ${change.warnings}::text[]` })
      .where("importId", "=", importId)
      .where("index", "=", index),
  );
}

/** What the first pass recorded for these entities. */
export async function entityStatuses(tx: Tx, importId: string, indices: number[]): Promise<Map<number, EntityStatus>> {
  if (!indices.length) return new Map();
  const rows = await tx
    .selectFrom("CatalogImportEntity")
    .select(["index", "status"])
    .where("importId", "=", importId)
    .where("index", "=", sql<number>`ANY(${indices}::int[])`)
    .execute();
  return new Map(rows.map((r) => [r.index, r.status as EntityStatus]));
}

/** Entities with errors (or, with `warnings`, those with warnings), in file order, at most `limit`. */
export async function listEntityProblems(db: Kysely<DB>, importId: string, kind: "errors" | "warnings", limit: number) {
  let query = db
    .selectFrom("CatalogImportEntity")
    .select(["index", "kind", "name", "message", "warnings"])
    .where("importId", "=", importId)
    .orderBy("index")
    .limit(limit);
  query = kind === "errors" ? query.where("status", "=", "error") : query.where(sql<boolean>`cardinality(warnings) > 0`);
  return query.execute();
}
