// Worker side of ingestion: InboundEvent → canonical deployments/changes/incidents (and, for the delivery tools in
// ./delivery-tools.ts, pipeline runs, environment changes, Jira ticket statuses and deployment migrations; CDEvents
// pipeline/task runs and migration events of any sender, custom sources included, go there too). One transaction per event
// with the row locked, so a duplicate job cannot apply it twice. Failures are retried (BullMQ backoff); after
// MAX_INGEST_ATTEMPTS the event is "dead" and listed for admins, who can retry it.
import { recordAudit, type Actor } from "../audit/audit-log";
import { startPeriodic } from "../platform/periodic";
import { newId, sql, transaction, type Db, type Tx } from "../db";
import { notFound } from "../errors";
import { lockServiceHistory as lockService, markPreviousRolledBack, recordChange, recordDeployment, recordIncident } from "../dora/canonical";
import { logger } from "../logger";
import { DEFAULT_JOB_OPTIONS } from "../platform/queues";
import { withoutFutureTimes, type CanonicalFact } from "./canonical-facts";
import type { CdEvent } from "./cdevents";
import { translateCdevent } from "./cdevents-translate";
import { translateGithub } from "./github-webhooks";
import { isDeliveryFact, type ToolFact } from "./delivery-facts";
import { applyDeliveryFact, isCdeventDeliveryType, isDeliveryToolSource, translateCdeventRunEvent, translateDeliveryToolEvent } from "./delivery-tools";
import { isCustomEventSource } from "./custom-sources-http";
import { enqueueInbound, idsInLiveJobs, type IngestJobData } from "./ingest";
import { translatePagerDuty } from "./pagerduty-webhooks";
import { sweepRejectedEvents } from "./rejections";

export const MAX_INGEST_ATTEMPTS = DEFAULT_JOB_OPTIONS.attempts ?? 5;

function translateInbound(e: { source: string; type: string; payload: unknown }): CanonicalFact[] {
  const payload = e.payload as Record<string, unknown>;
  // A custom source's events were mapped to CDEvents when they arrived (./custom-sources-http.ts).
  switch (isCustomEventSource(e.source) ? "cdevents" : e.source) {
    case "cdevents":
      return [translateCdevent(payload as unknown as CdEvent)];
    case "github":
      return translateGithub(e.type, payload);
    case "pagerduty":
      return [translatePagerDuty(payload)];
    default:
      return [{ kind: "ignored", reason: `no translator for source ${e.source}` }];
  }
}

export async function applyFact(tx: Tx, fact: CanonicalFact) {
  switch (fact.kind) {
    case "deployment": {
      await lockService(tx, fact.deployment.serviceName);
      const d = await recordDeployment(tx, fact.deployment);
      if (d.isRollback) await markPreviousRolledBack(tx, d, fact.rolledBackVersion);
      return;
    }
    case "change":
      await lockService(tx, fact.change.serviceName);
      await recordChange(tx, fact.change);
      return;
    case "incident":
      if (fact.incident.serviceName) await lockService(tx, fact.incident.serviceName);
      await recordIncident(tx, fact.incident);
      return;
    case "ignored":
      return;
  }
}

export type ProcessResult = "processed" | "ignored" | "skipped" | "dead";

/**
 * Past deliveries (the demo's history): stored with the time they were received, once per source + id, and applied
 * here rather than queued, so the seed's pages show them at once. Returns how many were new.
 */
export async function recordPastInboundEvents(
  db: Db,
  events: { source: string; externalId: string; type: string; receivedAt: Date; payload: unknown }[],
): Promise<number> {
  const rows = await db.kysely
    .insertInto("InboundEvent")
    .values(events.map((e) => ({ id: newId(), ...e, payload: JSON.stringify(e.payload), occurredAt: e.receivedAt })))
    .onConflict((oc) => oc.columns(["source", "externalId"]).doNothing())
    .returning("id")
    .execute();
  for (const r of rows) await processInboundEvent(db, r.id);
  return rows.length;
}

/** The ingest job: apply one inbound event. Throws (so BullMQ retries) while attempts remain. */
export async function processInboundEvent(db: Db, inboundEventId: string): Promise<ProcessResult> {
  try {
    return await transaction(db, async (tx) => {
      const row = await tx
        .selectFrom("InboundEvent")
        .select(["id", "source", "type", "payload", "status", "receivedAt"])
        .where("id", "=", inboundEventId)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.status === "processed" || row.status === "ignored" || row.status === "dead") return "skipped" as const;
      // A time far after receipt is a sender's error (flagged on the data-quality page): the rows take the receipt time.
      const source = row.source;
      const facts: ToolFact[] = isDeliveryToolSource(source)
        ? await translateDeliveryToolEvent(tx, { ...row, source })
        : (source === "cdevents" || isCustomEventSource(source)) && isCdeventDeliveryType(row.type)
          ? await translateCdeventRunEvent(tx, row)
          : translateInbound(row).map((f) => withoutFutureTimes(f, row.receivedAt));
      for (const fact of facts) await (isDeliveryFact(fact) ? applyDeliveryFact(tx, fact) : applyFact(tx, fact));
      const ignored = facts.every((f) => f.kind === "ignored");
      // Nothing reads the row back in this transaction: its update goes with COMMIT.
      tx.deferred.write(
        tx
          .updateTable("InboundEvent")
          .set({
            status: ignored ? "ignored" : "processed",
            error: ignored
              ? facts
                  .map((f) => (f.kind === "ignored" ? f.reason : ""))
                  .join("; ")
                  .slice(0, 500)
              : null,
            attempts: sql<number>`attempts + 1`,
            processedAt: new Date(),
          })
          .where("id", "=", row.id),
      );
      return ignored ? ("ignored" as const) : ("processed" as const);
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // One statement: count the attempt, keep the error, and give up once the attempts are spent.
    const updated = await db.kysely
      .updateTable("InboundEvent")
      .set({
        attempts: sql<number>`attempts + 1`,
        error: message.slice(0, 1000),
        status: sql<string>`CASE WHEN attempts + 1 >= ${MAX_INGEST_ATTEMPTS}::int THEN 'dead' ELSE 'failed' END`,
      })
      .where("id", "=", inboundEventId)
      .returning("status")
      .executeTakeFirst();
    if (updated?.status === "dead") {
      logger.warn({ inboundEventId, err: message }, "inbound event is dead after its last attempt");
      return "dead";
    }
    throw err;
  }
}

/**
 * The ingest job: one event (the sweeper's and retries' jobs) or an intake batch. A batch's events are applied one
 * by one, each in its own transaction; if any failed with attempts left, the job fails after the others so BullMQ
 * retries it, and the events already applied are skipped then (their status).
 */
export async function processIngestJob(db: Db, job: IngestJobData): Promise<void> {
  if ("inboundEventId" in job) {
    await processInboundEvent(db, job.inboundEventId);
    return;
  }
  let failure: unknown = null;
  for (const id of job.inboundEventIds) {
    try {
      await processInboundEvent(db, id);
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure) throw failure;
}

/** Admin action: a dead (or failed) event gets a fresh set of attempts. */
export async function retryInboundEvent(db: Db, actor: Actor, id: string) {
  const row = await transaction(db, async (tx) => {
    const before = await tx.selectFrom("InboundEvent").select(["id", "status", "attempts", "error"]).where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Event");
    const after = await tx
      .updateTable("InboundEvent")
      .set({ status: "pending", attempts: 0, error: null })
      .where("id", "=", id)
      .returning(["id", "status"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "inbound_event.retried", subjectType: "inbound_event", subjectId: id, before, after });
    return after;
  });
  await enqueueInbound([id], `:retry:${Date.now()}`);
  return row;
}

export async function listDeadEvents(db: Db, opts: { status?: "dead" | "failed"; take?: number } = {}) {
  return db.inboundEvent.findMany({
    where: { status: opts.status ?? "dead" },
    orderBy: { receivedAt: "desc" },
    take: opts.take ?? 100,
    select: { id: true, source: true, type: true, externalId: true, receivedAt: true, attempts: true, error: true, status: true },
  });
}

/**
 * Re-enqueues events whose job was lost (Redis flushed or down at intake): pending ones older than `olderThanMs`,
 * and failed ones whose retries should have happened long ago — but not those a job will still apply (a queue over a
 * minute behind is not a lost job). A finished (failed) job of the same id is replaced, so BullMQ's
 * de-duplication never swallows the re-enqueue. Returns how many it re-enqueued.
 */
export async function sweepStuckEvents(db: Db, olderThanMs = 60_000, take = 500) {
  const cutoff = new Date(Date.now() - olderThanMs);
  const failedCutoff = new Date(Date.now() - 10 * olderThanMs);
  const rows = await db.inboundEvent.findMany({
    where: {
      OR: [
        { status: "pending", receivedAt: { lt: cutoff } },
        { status: "failed", receivedAt: { lt: failedCutoff } },
      ],
    },
    orderBy: { receivedAt: "asc" },
    take,
    select: { id: true, attempts: true },
  });
  if (rows.length === 0) return 0;
  const queued = await idsInLiveJobs(rows.map((r) => r.id)).catch((err) => {
    logger.warn({ err: err instanceof Error ? err.message : err }, "ingest sweep could not read the queue; re-enqueueing every stuck event");
    return new Set<string>();
  });
  const lost = rows.filter((r) => !queued.has(r.id));
  for (const r of lost) await enqueueInbound([r.id], r.attempts === 0 ? "" : `:sweep:${r.attempts}`, { replaceFinished: true });
  return lost.length;
}

/** Refused requests past their retention are deleted about every this many sweeps (~10 minutes). */
const REJECTION_SWEEP_EVERY = 20;

/** The ingest worker's background loop (see workers/definitions.ts): stuck events, and expired refusals. */
export function startIngestSweeper(db: Db, everyMs = 30_000) {
  let runs = 0;
  return startPeriodic(
    "ingest sweep",
    everyMs,
    async () => {
      await sweepStuckEvents(db);
      if (runs++ % REJECTION_SWEEP_EVERY === 0) await sweepRejectedEvents(db);
    },
    { lease: db },
  );
}
