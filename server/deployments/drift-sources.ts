// Where live versions come from: Pier's own runs (an outbox subscriber on the events that end a request: the
// targets its rollout deployed or rolled back, or the environment's one implicit target) and ingested deployment
// events from other tools (the canonical Deployment rows DORA keeps, swept periodically). Both go through
// reportLiveVersion, so an older observation never overwrites a newer one, whichever arrives last.
import { sql, transaction, type Db, type Tx } from "../db";
import { isTestEvent } from "../bus/events";
import type { DeliveredEvent } from "../bus/fanout";
import { evaluateDrift, reportLiveVersionInTx, targetsOf } from "./drift";

export const DRIFT_SUBSCRIBER = "deployments.drift";
export const DRIFT_SOURCE_EVENTS = ["deployment.succeeded", "deployment.failed", "deployment.rolled_back"] as const;
type FinishedEvent = DeliveredEvent<(typeof DRIFT_SOURCE_EVENTS)[number]>;

async function fromPierRun(tx: Tx, e: FinishedEvent) {
  const { service, environment } = e.subject;
  if (isTestEvent(e) || !service || !environment) return;
  const steps = await tx
    .selectFrom("Rollout as r")
    .innerJoin("RolloutStep as s", "s.rolloutId", "r.id")
    .innerJoin("DeploymentTarget as t", "t.id", "s.targetId")
    .select(["t.name", "s.status", "s.finishedAt"])
    .where("r.requestId", "=", e.data.requestId)
    .where("s.status", "in", ["succeeded", "rolled_back"])
    .execute();
  const at = new Date(e.occurredAt);
  const base = { serviceId: service.id, environmentId: environment.id, source: "pier" as const };
  if (steps.length) {
    for (const s of steps) {
      const version = s.status === "succeeded" ? e.data.version : e.data.previousVersion;
      if (version) await reportLiveVersionInTx(tx, { ...base, target: s.name, version, observedAt: s.finishedAt ?? at });
    }
  } else if (
    e.type === "deployment.succeeded" &&
    !(await tx.selectFrom("DeploymentTarget").select("id").where("environmentId", "=", environment.id).executeTakeFirst())
  ) {
    await reportLiveVersionInTx(tx, { ...base, target: "", version: e.data.version, observedAt: at });
  }
  // The desired version may have changed for every target of the environment.
  for (const target of await targetsOf(tx, environment.id)) await evaluateDrift(tx, { serviceId: service.id, environmentId: environment.id, target });
}

/** The subscriber's handler (listed in server/subscriptions.ts). */
export async function recordLiveFromPierRuns(tx: Tx, events: FinishedEvent[], _db: Db) {
  for (const e of events) await fromPierRun(tx, e);
}

/**
 * Ingested deployment events of other tools (source ≠ pier) as live reports of the environment's implicit target:
 * the newest succeeded one per service and environment within `lookbackHours`. Idempotent (a report no newer than
 * the kept one changes nothing), so any worker may run it.
 */
export async function syncIngestedLiveVersions(db: Db, now = new Date(), lookbackHours = 24) {
  const rows = await db.kysely
    .selectFrom("Deployment")
    .select(["serviceId", "environmentId", "version", "deployedAt"])
    .distinctOn(["serviceId", "environmentId"])
    .where("source", "<>", "pier")
    .where("status", "=", "succeeded")
    .where("serviceId", "is not", null)
    .where("environmentId", "is not", null)
    .where("version", "<>", "")
    // Without a target name they speak for environments that are one implicit target.
    .where((eb) => eb.not(eb.exists(eb.selectFrom("DeploymentTarget as t").select("t.id").whereRef("t.environmentId", "=", "Deployment.environmentId"))))
    .where("deployedAt", ">", sql<Date>`${now}::timestamp - make_interval(hours => ${lookbackHours})`)
    .orderBy("serviceId")
    .orderBy("environmentId")
    .orderBy("deployedAt", "desc")
    .limit(1000)
    .execute();
  let kept = 0;
  for (const r of rows) {
    const result = await transaction(db, (tx) =>
      reportLiveVersionInTx(
        tx,
        { serviceId: r.serviceId!, environmentId: r.environmentId!, target: "", version: r.version, observedAt: r.deployedAt, source: "event" },
        now,
      ),
    );
    if (result.kept) kept++;
  }
  return { seen: rows.length, kept };
}
