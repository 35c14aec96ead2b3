// The worker side of a background catalog import: the file is read again (it was validated when the job was
// queued), planned, and applied in chunks of CHUNK_SIZE entities, each chunk one transaction that also records the
// entities' results and moves the job's counters and cursor. A worker that dies loses at most its open chunk (rolled
// back); the next run reads the cursor and goes on from there, so nothing is applied or audited twice.
//   plan: Groups first, then every other entity in file order; then, once every entity exists, a second pass
//         settles the projections (teams, services, service dependencies) of the applied entities and of those
//         pointing at them, so the result does not depend on the order of the file.
// Unlike the inline import, each entity is accepted or refused on its own: one bad entity does not hold back the
// other 19,999. The per-entity rules and audit records are the inline import's (./backstage-import.ts).
import { recordAudit, type Actor } from "../audit/audit-log";
import { emitPierEvent } from "../bus/events";
import { transaction, type Db, type Tx } from "../db";
import { DomainError } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { loadSessionUser } from "../identity/users";
import { logger } from "../logger";
import { classifyFailure, failureReference } from "../platform/failures";
import { applyEntities as applyPrepared, prepareEntities, settleEntities, type Prepared } from "./backstage-import";
import { readCatalogDocuments } from "./catalog-yaml";
import {
  advanceImportJob,
  countFailedAttempt,
  emptyTally,
  entityStatuses,
  lockImportJob,
  readImportJob,
  readImportYaml,
  recordEntityResults,
  reviseEntityResult,
  type EntityResult,
  type EntityStatus,
  type ImportProgress,
  type Tally,
} from "./import-job-store";
import { JOB_IMPORT_LIMITS } from "./import-limits";

/** Entities per transaction: a few hundred statements, well under a second, so no transaction is long. */
const CHUNK_SIZE = 200;
/** Runs that may end in an unexpected error before the job is marked failed (BullMQ retries in between). */
const MAX_FAILED_RUNS = 5;

type PlanItem = { index: number; kind: string; name: string; prepared?: Prepared; refused?: { status: "error" | "skipped"; reason: string } };
type Plan = { entities: PlanItem[]; services: Prepared[] };

/** The order the file is applied in; the same text always gives the same plan, which is what makes cursors work. */
function planOf(values: unknown[]): Plan {
  const { results, prepared } = prepareEntities(values.map((value) => ({ value, file: "catalog-info.yaml" })));
  const byIndex = new Map(prepared.map((p) => [p.index, p]));
  const items: PlanItem[] = results.map((r) => {
    const p = byIndex.get(r.index);
    const refused = { status: r.status === "skipped" ? ("skipped" as const) : ("error" as const), reason: r.reason ?? "" };
    return p ? { index: r.index, kind: r.kind, name: r.name, prepared: p } : { index: r.index, kind: r.kind, name: r.name, refused };
  });
  const isTeam = (i: PlanItem) => i.prepared?.kind === "Group";
  return { entities: [...items.filter(isTeam), ...items.filter((i) => !isTeam(i))], services: prepared };
}

type RunOutcome = "succeeded" | "failed" | "stopped";
type RunOptions = {
  chunkSize?: number;
  /** Checked between chunks: when aborted the run stops after the chunk in hand (the job stays running). */
  signal?: AbortSignal;
  /** After each committed chunk, with the job as that commit left it. */
  onChunk?: (progress: ImportProgress) => void | Promise<void>;
};

/**
 * Runs (or resumes) an import until it ends or `signal` stops it. An unexpected error is logged with a reference,
 * counted and rethrown for the queue to retry; after MAX_FAILED_RUNS such errors the job is failed with that
 * reference. An unavailable database or Redis is not counted: the run is simply tried again later.
 */
export async function runCatalogImport(db: Db, importId: string, opts: RunOptions = {}): Promise<RunOutcome> {
  const job = await readImportJob(db.kysely, importId);
  // A job deleted with its requester's account has nothing left to do.
  if (!job) return "failed";
  if (job.status === "succeeded" || job.status === "failed") return job.status;
  try {
    return await run(db, job, opts);
  } catch (err) {
    const reference = failureReference();
    logger.error({ err, importId, requestId: reference }, "catalog import run failed");
    // The database or Redis being away is no fault of the import: retried (queue, then outbox) without counting.
    if (classifyFailure(err) === "unavailable") throw err;
    const attempts = await countFailedAttempt(db.kysely, importId);
    if (attempts < MAX_FAILED_RUNS) throw err;
    const requester = await loadRequester(db, job.requestedById);
    return finish(db, importId, requester?.actor ?? { id: job.requestedById, label: job.requestedById }, "failed", {
      failure: `The import stopped after ${attempts} failed attempts (reference ${reference}); the entities applied before that stay applied`,
    });
  }
}

async function run(db: Db, job: ImportProgress, opts: RunOptions): Promise<RunOutcome> {
  const requester = await loadRequester(db, job.requestedById);
  if (!requester) return "failed";
  const { user, actor } = requester;
  if (!user) return finish(db, job.id, actor, "failed", { failure: "The account that started this import is disabled" });
  let values: unknown[];
  try {
    values = await readCatalogDocuments((await readImportYaml(db.kysely, job.id)) ?? "", JOB_IMPORT_LIMITS, (n) => `The file holds ${n} documents`);
  } catch (err) {
    if (err instanceof DomainError) return finish(db, job.id, actor, "failed", { failure: err.message });
    throw err;
  }
  if (values.length !== job.documents) return finish(db, job.id, actor, "failed", { failure: "The stored file no longer reads as it did when it was queued" });
  const plan = planOf(values);
  await transaction(db, async (tx) => {
    const current = await lockImportJob(tx, job.id);
    if (current?.status === "queued") advanceImportJob(tx, job.id, { set: { status: "running", startedAt: new Date(), linkTotal: plan.services.length } });
  });
  for (;;) {
    if (opts.signal?.aborted) return "stopped";
    const step = await transaction(db, (tx) => runChunk(tx, job.id, user, plan, opts.chunkSize ?? CHUNK_SIZE));
    if (step === "ended") return ((await readImportJob(db.kysely, job.id))?.status ?? "failed") as RunOutcome;
    if (step === "complete") return finish(db, job.id, actor, "succeeded");
    if (!opts.onChunk) continue;
    const progress = await readImportJob(db.kysely, job.id);
    if (progress) await opts.onChunk(progress);
  }
}

/** One chunk of whichever pass the job's cursors are in, under the job's row lock. */
async function runChunk(tx: Tx, importId: string, user: SessionUser, plan: Plan, size: number): Promise<"applied" | "complete" | "ended"> {
  const job = await lockImportJob(tx, importId);
  if (!job || job.status !== "running") return "ended";
  if (job.processed < plan.entities.length) {
    const items = plan.entities.slice(job.processed, job.processed + size);
    const tally = await applyEntities(tx, importId, user, items);
    advanceImportJob(tx, importId, { add: tally, set: { processed: job.processed + items.length } });
    return "applied";
  }
  if (job.linked < plan.services.length) {
    const services = plan.services.slice(job.linked, job.linked + size);
    const tally = await linkDependencies(tx, importId, user, services);
    advanceImportJob(tx, importId, { add: tally, set: { linked: job.linked + services.length } });
    return "applied";
  }
  return "complete";
}

const TALLY_OF: Record<EntityStatus, keyof Tally> = { created: "created", updated: "updated", unchanged: "unchanged", skipped: "skipped", error: "errorCount" };

async function applyEntities(tx: Tx, importId: string, user: SessionUser, items: PlanItem[]): Promise<Tally> {
  const tally = emptyTally();
  const results: EntityResult[] = [];
  const applied = await applyPrepared(
    tx,
    user,
    items.flatMap((i) => (i.prepared ? [i.prepared] : [])),
  );
  for (const item of items) {
    let status: EntityStatus;
    let message: string | null;
    if (item.prepared) {
      const r = applied.get(item.index)!;
      status = r.status;
      message = r.reason ?? null;
    } else {
      status = item.refused!.status;
      message = item.refused!.reason;
    }
    tally[TALLY_OF[status]]++;
    results.push({ index: item.index, kind: item.kind, name: item.name, status, message, warnings: [] });
  }
  recordEntityResults(tx, importId, results);
  return tally;
}

/** The second pass: the projections of the entities the first pass applied (not of those it refused). */
async function linkDependencies(tx: Tx, importId: string, user: SessionUser, services: Prepared[]): Promise<Tally> {
  const tally = emptyTally();
  const statuses = await entityStatuses(
    tx,
    importId,
    services.map((p) => p.index),
  );
  const applied = services.filter((p) => {
    const status = statuses.get(p.index);
    return status && status !== "error";
  });
  const settled = await settleEntities(
    tx,
    user,
    applied.map((p) => p.key),
  );
  for (const p of applied) {
    const s = settled.get(p.key);
    if (!s) continue;
    const nowUpdated = s.changed && statuses.get(p.index) === "unchanged";
    if (nowUpdated) {
      tally.unchanged--;
      tally.updated++;
    }
    tally.warningCount += s.warnings.length;
    if (nowUpdated || s.warnings.length)
      reviseEntityResult(tx, importId, p.index, {
        status: nowUpdated ? "updated" : undefined,
        message: nowUpdated ? "Pier service or team updated" : undefined,
        warnings: s.warnings,
      });
  }
  return tally;
}

/** The requester as the entity rules see them now (null user when disabled), and as audit records name them. */
async function loadRequester(db: Db, userId: string): Promise<{ user: SessionUser | null; actor: Actor } | null> {
  const user = await loadSessionUser(db, userId);
  if (!user) return null;
  const account = await db.kysely.selectFrom("User").select("disabledAt").where("id", "=", userId).executeTakeFirst();
  return { user: account?.disabledAt ? null : user, actor: actorOf(user) };
}

/** running|queued → succeeded|failed, once: the audit record, the catalog.import_finished event; the YAML is let go. */
async function finish(db: Db, importId: string, actor: Actor, status: "succeeded" | "failed", opts: { failure?: string } = {}): Promise<RunOutcome> {
  return transaction(db, async (tx) => {
    const job = await lockImportJob(tx, importId);
    if (!job) return "failed";
    if (job.status === "succeeded" || job.status === "failed") return job.status;
    advanceImportJob(tx, importId, { set: { status, finishedAt: new Date(), failure: opts.failure ?? null, yaml: "" } });
    const counts = {
      documents: job.documents,
      created: job.created,
      updated: job.updated,
      unchanged: job.unchanged,
      skipped: job.skipped,
      errors: job.errorCount,
    };
    const summary =
      status === "succeeded"
        ? `${counts.documents} entities: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ${counts.errors} with errors`
        : `failed after ${job.processed} of ${job.documents} entities: ${opts.failure}`;
    recordAudit(tx, {
      actor,
      action: `catalog.import_${status}`,
      subjectType: "catalog_import",
      subjectId: importId,
      before: { status: job.status },
      after: { status, counts, failure: opts.failure ?? null },
    });
    emitPierEvent(tx, {
      type: "catalog.import_finished",
      severity: status === "failed" || counts.errors > 0 ? "medium" : "info",
      subject: {},
      actor,
      data: { importId, status, summary, url: `/catalog/import?job=${importId}`, counts },
      labels: { status },
    });
    return status;
  });
}
