// Background catalog imports (issue 12): a file too large for one request (up to JOB_IMPORT_LIMITS) is validated as
// YAML when it arrives (a 400 naming "yaml" otherwise), stored with a CatalogImport row, and handed to a worker
// through the outbox (queue pier-catalog-imports): the job row, its audit record and the outbox row commit together,
// so a lost Redis loses nothing — the dispatcher sends the row again. ./import-runner.ts applies it in chunks.
// Who may: any signed-in user may start one (each entity is then checked as in the inline import); its progress and
// report are for whoever started it and admins (server/identity/access.ts).
import { recordAudit } from "../audit/audit-log";
import { markOutboxProcessed, writeOutbox, type OutboxJobData } from "../bus/outbox";
import { newId, transaction, type Db } from "../db";
import { DomainError, forbidden, notFound } from "../errors";
import { actorOf, canViewCatalogImport } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { QUEUES } from "../platform/queues";
import { readCatalogDocuments } from "./catalog-yaml";
import { countActiveImports, insertImportJob, listEntityProblems, readImportJob } from "./import-job-store";
import { JOB_IMPORT_LIMITS } from "./import-limits";
import { runCatalogImport } from "./import-runner";

const IMPORT_JOB_TYPE = "catalog.import";
/** Imports one user may have queued or running at once (each holds its file until it finishes). */
const MAX_ACTIVE_IMPORTS_PER_USER = 3;
/** Entities with errors listed in a report (the count is always exact); warnings are listed once the job ended. */
const LISTED_ERRORS = 1000;
const LISTED_WARNINGS = 200;

/** Where a job's progress is read over REST (the UI reads it with catalog.importJob). */
const importStatusPath = (id: string) => `/api/catalog/import/${id}`;

export async function startCatalogImport(db: Db, user: SessionUser, text: string) {
  const values = await readCatalogDocuments(
    text,
    JOB_IMPORT_LIMITS,
    (n) => `The file holds ${n} documents; at most ${JOB_IMPORT_LIMITS.documents} are imported per background import (split the file)`,
  );
  const id = newId();
  const bytes = Buffer.byteLength(text);
  await transaction(db, async (tx) => {
    if ((await countActiveImports(tx, user.id)) >= MAX_ACTIVE_IMPORTS_PER_USER) {
      throw new DomainError("TOO_MANY_REQUESTS", `You have ${MAX_ACTIVE_IMPORTS_PER_USER} imports in progress; start another when one has finished`, "yaml");
    }
    await insertImportJob(tx, { id, requestedById: user.id, yaml: text, bytes, documents: values.length });
    recordAudit(tx, {
      actor: actorOf(user),
      action: "catalog.import_queued",
      subjectType: "catalog_import",
      subjectId: id,
      after: { documents: values.length, bytes },
    });
    writeOutbox(tx, { queue: QUEUES.catalogImports, type: IMPORT_JOB_TYPE, payload: { importId: id } });
  });
  return { id, status: "queued" as const, documents: values.length, statusUrl: importStatusPath(id) };
}

/** A job's progress, counts and (first) problems, for its requester or an admin. */
export async function catalogImportStatus(db: Db, viewer: SessionUser, id: string) {
  const job = await readImportJob(db.kysely, id);
  if (!job) throw notFound("Catalog import");
  if (!canViewCatalogImport(viewer, job)) throw forbidden("Only the person who started this import and admins may see it");
  const ended = job.status === "succeeded" || job.status === "failed";
  const [errors, warnings] = await Promise.all([
    job.errorCount ? listEntityProblems(db.kysely, id, "errors", LISTED_ERRORS) : [],
    ended && job.warningCount ? listEntityProblems(db.kysely, id, "warnings", LISTED_WARNINGS) : [],
  ]);
  const steps = job.documents + job.linkTotal;
  return {
    id: job.id,
    status: job.status,
    requestedById: job.requestedById,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    failure: job.failure,
    statusUrl: importStatusPath(job.id),
    progress: {
      /** Entities applied (first pass) of the file's entities. */
      processed: job.processed,
      documents: job.documents,
      /** Services whose dependencies were synced (second pass), of those to sync (known once the job runs). */
      linked: job.linked,
      linkTotal: job.linkTotal,
      percent: job.status === "succeeded" ? 100 : job.status === "queued" ? 0 : Math.floor((100 * (job.processed + job.linked)) / Math.max(1, steps)),
    },
    counts: {
      created: job.created,
      updated: job.updated,
      unchanged: job.unchanged,
      skipped: job.skipped,
      errors: job.errorCount,
      warnings: job.warningCount,
    },
    errors: errors.map((e) => ({ index: e.index, kind: e.kind, name: e.name, message: e.message ?? "" })),
    warnings: warnings.flatMap((e) => e.warnings.map((message) => ({ index: e.index, kind: e.kind, name: e.name, message }))),
  };
}
export type CatalogImportStatus = Awaited<ReturnType<typeof catalogImportStatus>>;

/** The pier-catalog-imports job: run or resume the import; the outbox row is done once the job has ended. */
export async function handleCatalogImportJob(db: Db, job: OutboxJobData) {
  const importId = job.payload.importId;
  const outcome = typeof importId === "string" ? await runCatalogImport(db, importId) : "failed";
  // A stopped run leaves the row unprocessed: the dispatcher sends it again and the next run resumes.
  if (outcome !== "stopped") await markOutboxProcessed(db.kysely, [job.outboxId]);
  return outcome;
}
