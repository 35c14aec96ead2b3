// Drift: per service × environment × target, the desired version (the last request that was approved and
// succeeded there) against the live one (what the target last reported: Pier's own finished runs, executor status,
// ingested deployment events). Reports may arrive out of order; only the newest observation counts. When the two
// stop matching, the drift starts (at the later of the live observation and the desired deployment) and a
// drift.detected event goes through the outbox, so notification routes can match it; drift.resolved when they match
// again. Target "" is an environment without deployment targets.
import { recordAudit, systemActor } from "../audit/audit-log";
import { emitPierEvent } from "../bus/events";
import { transaction, type Db, type Tx } from "../db";
import { env } from "../env";
import { lockDriftRow, readLiveVersion, upsertLiveVersion, writeDriftRow, type DriftKey } from "./drift-store";

const driftActor = systemActor("drift");
type DriftState = "in_sync" | "drifted" | "unknown";
export type LiveReport = DriftKey & { version: string; observedAt: Date; source: "pier" | "executor" | "event" };

/** The desired version of a target: the newest succeeded request there (a fleet request counts for its targets). */
async function desiredOf(tx: Tx, key: DriftKey) {
  let q = tx
    .selectFrom("DeploymentRequest")
    .select(["version", "finishedAt"])
    .where("serviceId", "=", key.serviceId)
    .where("environmentId", "=", key.environmentId)
    .where("status", "=", "succeeded");
  if (key.target)
    q = q.where((eb) => eb.or([eb(eb.fn<number>("cardinality", ["targetNames"]), "=", 0), eb(eb.val(key.target), "=", eb.fn.any("targetNames"))]));
  return q.orderBy("finishedAt", "desc").limit(1).executeTakeFirst();
}

const driftUrl = () => `${env().PIER_BASE_URL.replace(/\/$/, "")}/environments/compare`;

/** Re-judges one target under its drift row's lock; emits drift.detected / drift.resolved on a change. */
export async function evaluateDrift(tx: Tx, key: DriftKey, now = new Date()) {
  const row = await lockDriftRow(tx, key);
  const [desired, live] = await Promise.all([desiredOf(tx, key), readLiveVersion(tx, key)]);
  const status: DriftState = !desired || !live ? "unknown" : desired.version === live.version ? "in_sync" : "drifted";
  let driftSince: Date | null = null;
  if (status === "drifted") {
    const started = new Date(Math.max(live!.observedAt.getTime(), desired!.finishedAt?.getTime() ?? 0));
    driftSince = row.status === "drifted" && row.driftSince ? row.driftSince : started;
  }
  await writeDriftRow(tx, key, { desiredVersion: desired?.version ?? null, liveVersion: live?.version ?? null, status, driftSince, checkedAt: now });
  // Events on entering and leaving drift only (unknown ⇄ in_sync is not news).
  if (row.status === status || (status !== "drifted" && row.status !== "drifted")) return { status, driftSince };
  const type = status === "drifted" ? "drift.detected" : "drift.resolved";
  const subject = await tx
    .selectFrom("Service as s")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .innerJoin("Environment as e", (j) => j.on("e.id", "=", key.environmentId))
    .select(["s.id", "s.slug", "s.name", "s.tier", "s.teamId", "t.slug as teamSlug", "e.name as envName", "e.isProduction"])
    .where("s.id", "=", key.serviceId)
    .executeTakeFirstOrThrow();
  const data = {
    target: key.target,
    desiredVersion: desired?.version ?? null,
    liveVersion: live?.version ?? null,
    driftSince: (driftSince ?? row.driftSince)?.toISOString() ?? null,
    driftSeconds: status === "drifted" ? 0 : row.driftSince ? Math.round((now.getTime() - row.driftSince.getTime()) / 1000) : null,
    url: driftUrl(),
    summary:
      status === "drifted"
        ? `${subject.slug} on ${key.target || subject.envName} runs ${live?.version} while ${desired?.version} was deployed through Pier`
        : `${subject.slug} on ${key.target || subject.envName} runs ${live?.version ?? desired?.version ?? "its desired version"} again`,
  };
  recordAudit(tx, {
    actor: driftActor,
    action: type,
    subjectType: "drift",
    subjectId: `${subject.slug}:${subject.envName}:${key.target || "-"}`,
    before: { status: row.status, liveVersion: row.liveVersion, desiredVersion: row.desiredVersion },
    after: { status, ...data },
  });
  emitPierEvent(tx, {
    type,
    severity: status === "drifted" ? (subject.isProduction ? "high" : "medium") : "info",
    actor: driftActor,
    subject: {
      service: { id: subject.id, slug: subject.slug, name: subject.name, tier: subject.tier, teamId: subject.teamId, teamSlug: subject.teamSlug },
      environment: { id: key.environmentId, name: subject.envName, isProduction: subject.isProduction },
    },
    data,
    labels: { target: key.target || subject.envName },
  });
  return { status, driftSince };
}

/** A live-version report (executor status, an ingested event, Pier's own run): kept if newest, then re-judged. */
export async function reportLiveVersion(db: Db, report: LiveReport, now = new Date()) {
  return transaction(db, (tx) => reportLiveVersionInTx(tx, report, now));
}

export async function reportLiveVersionInTx(tx: Tx, report: LiveReport, now = new Date()) {
  const key = { serviceId: report.serviceId, environmentId: report.environmentId, target: report.target };
  const kept = await upsertLiveVersion(tx, key, { version: report.version, observedAt: report.observedAt, source: report.source });
  return { kept, ...(await evaluateDrift(tx, key, now)) };
}

/** The targets of a service in an environment: its fleet's targets, or the one implicit target "". */
export async function targetsOf(tx: Tx, environmentId: string): Promise<string[]> {
  const rows = await tx.selectFrom("DeploymentTarget").select("name").where("environmentId", "=", environmentId).orderBy("name").execute();
  return rows.length ? rows.map((r) => r.name) : [""];
}
