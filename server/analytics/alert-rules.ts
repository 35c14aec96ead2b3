// Alert rules: admins create, edit, mute and delete them (audited, one transaction each); the evaluator
// (./alert-evaluation.ts) moves their state. The only writer of AlertRule.
import { z } from "zod";
import { newId, transaction, type Db } from "../db";
import { recordAudit } from "../audit/audit-log";
import { badRequest, notFound } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { ALERT_METRIC_NAMES } from "./alert-metrics";

const id = z.string().min(1).max(64);
export const alertRuleInput = z
  .object({
    name: z.string().trim().min(1, "name is required").max(120),
    metric: z.enum(ALERT_METRIC_NAMES, { error: `metric must be one of ${ALERT_METRIC_NAMES.join(", ")}` }),
    kind: z.enum(["threshold", "anomaly"], { error: "kind must be threshold or anomaly" }),
    direction: z.enum(["above", "below", "outside"], { error: "direction must be above, below or outside" }).default("above"),
    threshold: z.number().finite().nullish(),
    windowDays: z.number().int().min(1, "windowDays must be 1 to 365").max(365, "windowDays must be 1 to 365").default(30),
    baselineWeeks: z.number().int().min(4, "baselineWeeks must be 4 to 52").max(52, "baselineWeeks must be 4 to 52").default(8),
    sensitivity: z.number().min(0.5, "sensitivity must be 0.5 to 10").max(10, "sensitivity must be 0.5 to 10").default(3),
    teamId: id.nullish(),
    serviceId: id.nullish(),
    environmentId: id.nullish(),
    severity: z.enum(["critical", "high", "medium", "low", "info"], { error: "severity must be critical, high, medium, low or info" }).default("high"),
  })
  .superRefine((r, ctx) => {
    if (r.kind === "threshold" && (r.threshold === null || r.threshold === undefined))
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "A threshold rule needs a threshold" });
    if (r.kind === "threshold" && r.direction === "outside")
      ctx.addIssue({ code: "custom", path: ["direction"], message: "A threshold rule fires above or below its threshold" });
  });
export type AlertRuleInput = z.infer<typeof alertRuleInput>;

/** The scope's ids must exist: a 400 naming the field, never a dangling rule. */
async function checkScope(db: Db, r: AlertRuleInput) {
  const [team, service, env] = await Promise.all([
    r.teamId ? db.team.findUnique({ where: { id: r.teamId }, select: { id: true } }) : true,
    r.serviceId ? db.service.findUnique({ where: { id: r.serviceId }, select: { id: true } }) : true,
    r.environmentId ? db.environment.findUnique({ where: { id: r.environmentId }, select: { id: true } }) : true,
  ]);
  if (!team) throw badRequest("Unknown team", "teamId");
  if (!service) throw badRequest("Unknown service", "serviceId");
  if (!env) throw badRequest("Unknown environment", "environmentId");
}

const columns = (r: AlertRuleInput) => ({
  name: r.name,
  metric: r.metric,
  kind: r.kind,
  direction: r.direction,
  threshold: r.kind === "threshold" ? (r.threshold ?? null) : null,
  windowDays: r.windowDays,
  baselineWeeks: r.baselineWeeks,
  sensitivity: r.sensitivity,
  teamId: r.teamId ?? null,
  serviceId: r.serviceId ?? null,
  environmentId: r.environmentId ?? null,
  severity: r.severity,
});

async function nameTaken(db: Db, name: string, exceptId?: string) {
  const other = await db.alertRule.findUnique({ where: { name }, select: { id: true } });
  if (other && other.id !== exceptId) throw badRequest(`A rule named "${name}" already exists`, "name");
}

export async function createAlertRule(db: Db, user: SessionUser, input: AlertRuleInput) {
  await checkScope(db, input);
  await nameTaken(db, input.name);
  return transaction(db, async (tx) => {
    const row = { id: newId(), ...columns(input), createdById: user.id, updatedAt: new Date() };
    await tx.insertInto("AlertRule").values(row).execute();
    recordAudit(tx, { actor: actorOf(user), action: "alert_rule.created", subjectType: "alert_rule", subjectId: row.id, after: columns(input) });
    return { id: row.id };
  });
}

export async function updateAlertRule(db: Db, user: SessionUser, ruleId: string, input: AlertRuleInput) {
  await checkScope(db, input);
  await nameTaken(db, input.name, ruleId);
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("AlertRule").selectAll().where("id", "=", ruleId).forUpdate().executeTakeFirst();
    if (!before) throw notFound("Alert rule");
    // A changed definition starts over: its old state said nothing about the new rule.
    await tx
      .updateTable("AlertRule")
      .set({ ...columns(input), state: "ok", lastValue: null, lastDetail: "", updatedAt: new Date() })
      .where("id", "=", ruleId)
      .execute();
    recordAudit(tx, { actor: actorOf(user), action: "alert_rule.updated", subjectType: "alert_rule", subjectId: ruleId, before, after: columns(input) });
    return { id: ruleId };
  });
}

/** Mutes notifications of the rule until `until` (it is still evaluated), or unmutes it (null). */
export async function muteAlertRule(db: Db, user: SessionUser, ruleId: string, until: Date | null) {
  if (until && until.getTime() <= Date.now()) throw badRequest("Mute until a time in the future", "until");
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("AlertRule").select(["id", "mutedUntil"]).where("id", "=", ruleId).forUpdate().executeTakeFirst();
    if (!before) throw notFound("Alert rule");
    await tx.updateTable("AlertRule").set({ mutedUntil: until, updatedAt: new Date() }).where("id", "=", ruleId).execute();
    recordAudit(tx, {
      actor: actorOf(user),
      action: until ? "alert_rule.muted" : "alert_rule.unmuted",
      subjectType: "alert_rule",
      subjectId: ruleId,
      before: { mutedUntil: before.mutedUntil },
      after: { mutedUntil: until },
    });
    return { id: ruleId, mutedUntil: until };
  });
}

export async function deleteAlertRule(db: Db, user: SessionUser, ruleId: string) {
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("AlertRule").selectAll().where("id", "=", ruleId).forUpdate().executeTakeFirst();
    if (!before) throw notFound("Alert rule");
    await tx.deleteFrom("AlertRule").where("id", "=", ruleId).execute();
    recordAudit(tx, { actor: actorOf(user), action: "alert_rule.deleted", subjectType: "alert_rule", subjectId: ruleId, before });
    return { id: ruleId };
  });
}

export async function listAlertRules(db: Db) {
  return db.alertRule.findMany({ orderBy: [{ state: "asc" }, { name: "asc" }] });
}
