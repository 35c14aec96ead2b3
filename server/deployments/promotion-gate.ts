// The generalised promotion gate (an environment's PromotionGate row): a version may enter the environment only
// after it succeeded, and passed verification, in N of the previous environment's M targets (all of them when N is
// not set), has soaked there for the required minutes since the N-th target got it (Kargo's requiredSoakTime), and
// has the evidence events the gate names. Evidence comes from ingested CDEvents: artifact.signed whose subject is the
// version's artifact purl, testsuiterun.finished with outcome "pass" whose customData names the version (a test run
// has no artifact of its own in CDEvents). Without a gate row only the basic promotion rule (promotion.ts) applies.
import { transaction, type Db } from "../db";
import { recordAudit } from "../audit/audit-log";
import { badRequest, DomainError, forbidden } from "../errors";
import { actorOf, canAdminister } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { purlVersion } from "../platform/purl";

export type GateCheck = {
  ok: boolean;
  reason: string;
  targets: { passed: number; required: number; total: number };
  soakUntil: Date | null;
  evidence: { kind: string; ok: boolean }[];
};

const EVIDENCE_TYPE: Record<string, string> = {
  "testsuiterun.finished": "dev.cdevents.testsuiterun.finished.%",
  "artifact.signed": "dev.cdevents.artifact.signed.%",
};

type CdEventPayload = {
  subject?: { id?: unknown; content?: { outcome?: unknown; artifactId?: unknown } };
  customData?: { version?: unknown; artifactId?: unknown };
};

/** Does this ingested event vouch for `version`? */
export function evidenceMatches(kind: string, payload: CdEventPayload, version: string): boolean {
  const named = [payload.subject?.id, payload.subject?.content?.artifactId, payload.customData?.artifactId]
    .map((v) => purlVersion(v))
    .concat(typeof payload.customData?.version === "string" ? [payload.customData.version] : []);
  if (!named.includes(version)) return false;
  return kind !== "testsuiterun.finished" || payload.subject?.content?.outcome === "pass";
}

/** When each target of `environmentId` first ran `version` successfully with its wave's verification passed. */
async function targetSuccesses(db: Db, serviceId: string, environmentId: string, version: string) {
  const targets = await db.kysely.selectFrom("DeploymentTarget").select("name").where("environmentId", "=", environmentId).execute();
  if (!targets.length) {
    // One implicit target: the request itself.
    const r = await db.kysely
      .selectFrom("DeploymentRequest")
      .select("finishedAt")
      .where("serviceId", "=", serviceId)
      .where("environmentId", "=", environmentId)
      .where("version", "=", version)
      .where("status", "=", "succeeded")
      .orderBy("finishedAt")
      .limit(1)
      .executeTakeFirst();
    return { total: 1, times: r?.finishedAt ? [r.finishedAt] : [] };
  }
  const rows = await db.kysely
    .selectFrom("RolloutStep as s")
    .innerJoin("Rollout as r", "r.id", "s.rolloutId")
    .innerJoin("DeploymentRequest as d", "d.id", "r.requestId")
    .select((eb) => ["s.targetId", eb.fn.min("s.finishedAt").as("at")])
    .where("d.serviceId", "=", serviceId)
    .where("d.environmentId", "=", environmentId)
    .where("d.version", "=", version)
    .where("s.status", "=", "succeeded")
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("RolloutAnalysis as a")
            .select("a.id")
            .whereRef("a.rolloutId", "=", "s.rolloutId")
            .whereRef("a.wave", "=", "s.wave")
            .where("a.status", "<>", "successful"),
        ),
      ),
    )
    .groupBy("s.targetId")
    .execute();
  return {
    total: targets.length,
    times: rows
      .map((r) => r.at)
      .filter((t): t is Date => t !== null)
      .sort((a, b) => a.getTime() - b.getTime()),
  };
}

export async function checkPromotionGate(
  db: Db,
  input: { serviceId: string; environment: { id: string; name: string }; previous: { id: string; name: string }; version: string },
  now = new Date(),
): Promise<GateCheck | null> {
  const gate = await db.kysely.selectFrom("PromotionGate").selectAll().where("environmentId", "=", input.environment.id).executeTakeFirst();
  if (!gate) return null;
  const { total, times } = await targetSuccesses(db, input.serviceId, input.previous.id, input.version);
  const required = Math.min(total, gate.minTargets ?? total);
  const reached = times.length >= required && required > 0 ? times[required - 1] : null;
  const soakUntil = reached ? new Date(reached.getTime() + gate.soakMinutes * 60_000) : null;
  const evidence = [];
  for (const kind of gate.requiredEvidence) {
    const pattern = EVIDENCE_TYPE[kind];
    const rows = pattern
      ? await db.kysely.selectFrom("InboundEvent").select("payload").where("type", "like", pattern).orderBy("receivedAt", "desc").limit(500).execute()
      : [];
    evidence.push({ kind, ok: rows.some((r) => evidenceMatches(kind, r.payload as CdEventPayload, input.version)) });
  }
  const missing = evidence.filter((e) => !e.ok).map((e) => e.kind);
  const targets = { passed: times.length, required, total };
  const problems = [];
  if (times.length < required) problems.push(`it passed in ${times.length} of ${total} ${input.previous.name} target(s), ${required} needed`);
  else if (soakUntil && soakUntil > now) problems.push(`it soaks in ${input.previous.name} until ${soakUntil.toISOString()}`);
  if (missing.length) problems.push(`evidence missing: ${missing.join(", ")}`);
  const ok = problems.length === 0;
  return {
    ok,
    reason: ok
      ? `${input.version} passed in ${times.length} of ${total} ${input.previous.name} target(s) and soaked ${gate.soakMinutes} min${evidence.length ? `; evidence: ${evidence.map((e) => e.kind).join(", ")}` : ""}`
      : `${input.version} may not enter ${input.environment.name} yet: ${problems.join("; ")}.`,
    targets,
    soakUntil,
    evidence,
  };
}

export type GateSettings = { minTargets: number | null; soakMinutes: number; requiredEvidence: string[] };
const EVIDENCE_KINDS = Object.keys(EVIDENCE_TYPE);

/** The environment's gate, or null (the basic rule only). */
export async function readPromotionGate(db: Db, environmentId: string) {
  return (await db.kysely.selectFrom("PromotionGate").selectAll().where("environmentId", "=", environmentId).executeTakeFirst()) ?? null;
}

/** Admins set (or, with null, remove) an environment's gate; audited. The one writer of PromotionGate. */
export async function savePromotionGate(db: Db, user: SessionUser, environmentId: string, settings: GateSettings | null) {
  if (!canAdminister(user)) throw forbidden("Only admins may change promotion gates");
  const env = await db.kysely.selectFrom("Environment").select(["id", "name"]).where("id", "=", environmentId).executeTakeFirst();
  if (!env) throw new DomainError("NOT_FOUND", "Environment was not found", "environmentId");
  const unknown = settings?.requiredEvidence.filter((k) => !EVIDENCE_KINDS.includes(k)) ?? [];
  if (unknown.length) throw badRequest(`Unknown evidence: ${unknown.join(", ")}; use ${EVIDENCE_KINDS.join(" or ")}`, "requiredEvidence");
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("PromotionGate").selectAll().where("environmentId", "=", env.id).forUpdate().executeTakeFirst();
    if (settings) {
      const values = { ...settings, updatedAt: new Date() };
      await tx
        .insertInto("PromotionGate")
        .values({ environmentId: env.id, ...values })
        .onConflict((oc) => oc.column("environmentId").doUpdateSet(values))
        .execute();
    } else {
      await tx.deleteFrom("PromotionGate").where("environmentId", "=", env.id).execute();
    }
    recordAudit(tx, {
      actor: actorOf(user),
      action: settings ? "promotion_gate.saved" : "promotion_gate.removed",
      subjectType: "environment",
      subjectId: env.id,
      before: before ? { minTargets: before.minTargets, soakMinutes: before.soakMinutes, requiredEvidence: before.requiredEvidence } : null,
      after: settings,
    });
    return settings;
  });
}
