// Evaluates every alert rule and moves its state (ok | firing | no_data). Runs in the workers as a leased periodic
// loop (one run at a time across processes); on top of that each rule's state moves under its row lock (SKIP LOCKED:
// a rule another evaluator holds is left to it) and only a change of state emits an event, in the same transaction
// as the state: alert.firing when it starts firing, alert.resolved when it stops. So however many evaluators run,
// a rule fires once per episode. A muted rule keeps its state but emits nothing.
import type { Selectable } from "kysely";
import { transaction, type DB, type Db } from "../db";
import { emitPierEvent } from "../bus/events";
import { recordAudit, systemActor } from "../audit/audit-log";
import { startPeriodic } from "../platform/periodic";
import { logger } from "../logger";
import { ALERT_METRICS, formatMetricValue, judgeAnomaly, metricValue, weeklySeries, type AlertMetric, type Direction, type MetricScope } from "./alert-metrics";

type Rule = Selectable<DB["AlertRule"]>;
export type Outcome = { state: "ok" | "firing" | "no_data"; value: number | null; detail: string };
const DAY = 86_400_000;

/** What the rule says now (queries only, no writes). */
async function judgeRule(db: Db, rule: Rule, now: Date): Promise<Outcome> {
  const metric = rule.metric as AlertMetric;
  if (!(metric in ALERT_METRICS)) return { state: "no_data", value: null, detail: `unknown metric ${rule.metric}` };
  const scope: MetricScope = { teamId: rule.teamId, serviceId: rule.serviceId, environmentId: rule.environmentId };
  const show = (v: number | null) => formatMetricValue(metric, v);
  if (rule.kind === "threshold") {
    const value = await metricValue(db, metric, scope, new Date(now.getTime() - rule.windowDays * DAY), now);
    if (value === null || rule.threshold === null) return { state: "no_data", value, detail: `no data over the last ${rule.windowDays} days` };
    const firing = rule.direction === "below" ? value < rule.threshold : value > rule.threshold;
    const word = rule.direction === "below" ? "below" : "above";
    return { state: firing ? "firing" : "ok", value, detail: `${show(value)} over the last ${rule.windowDays} days (fires ${word} ${show(rule.threshold)})` };
  }
  const series = await weeklySeries(db, metric, scope, rule.baselineWeeks + 1, now);
  const last = series[series.length - 1];
  if (last.value === null) return { state: "no_data", value: null, detail: "no data in the last whole week" };
  const verdict = judgeAnomaly(
    last.value,
    series.slice(0, -1).map((p) => p.value),
    rule.sensitivity,
    rule.direction as Direction,
  );
  if (!verdict.enough) return { state: "no_data", value: last.value, detail: `only ${verdict.baseline} baseline weeks with data (4 needed)` };
  const band = `${show(verdict.lower)} – ${show(verdict.upper)}`;
  return {
    state: verdict.anomalous ? "firing" : "ok",
    value: last.value,
    detail: `week of ${last.weekStart.toISOString().slice(0, 10)}: ${show(last.value)}; expected ${band} (mean ± ${rule.sensitivity}·stddev of ${rule.baselineWeeks} weeks)`,
  };
}

/** Stores the outcome under the rule's row lock; emits alert.firing/resolved when the firing state changed. */
async function applyOutcome(db: Db, ruleId: string, outcome: Outcome, now: Date): Promise<"fired" | "resolved" | "unchanged" | "busy" | "gone"> {
  return transaction(db, async (tx) => {
    const rule = await tx.selectFrom("AlertRule").selectAll().where("id", "=", ruleId).forUpdate().skipLocked().executeTakeFirst();
    if (!rule) return (await tx.selectFrom("AlertRule").select("id").where("id", "=", ruleId).executeTakeFirst()) ? "busy" : "gone";
    const wasFiring = rule.state === "firing";
    const isFiring = outcome.state === "firing";
    await tx
      .updateTable("AlertRule")
      .set({
        state: outcome.state,
        lastValue: outcome.value,
        lastDetail: outcome.detail,
        lastEvaluatedAt: now,
        ...(rule.state !== outcome.state ? { stateChangedAt: now } : {}),
      })
      .where("id", "=", ruleId)
      .execute();
    if (wasFiring === isFiring) return "unchanged";
    const muted = rule.mutedUntil !== null && rule.mutedUntil > now;
    recordAudit(tx, {
      actor: systemActor("alert-evaluator"),
      action: isFiring ? "alert_rule.fired" : "alert_rule.resolved",
      subjectType: "alert_rule",
      subjectId: rule.id,
      before: { state: rule.state },
      after: { state: outcome.state, value: outcome.value, detail: outcome.detail, muted },
    });
    if (!muted) {
      const [service, environment, team] = await Promise.all([
        rule.serviceId
          ? tx
              .selectFrom("Service as s")
              .innerJoin("Team as t", "t.id", "s.teamId")
              .select(["s.id", "s.slug", "s.name", "s.tier", "s.teamId", "t.slug as teamSlug"])
              .where("s.id", "=", rule.serviceId)
              .executeTakeFirst()
          : undefined,
        rule.environmentId
          ? tx.selectFrom("Environment").select(["id", "name", "isProduction"]).where("id", "=", rule.environmentId).executeTakeFirst()
          : undefined,
        rule.teamId ? tx.selectFrom("Team").select("slug").where("id", "=", rule.teamId).executeTakeFirst() : undefined,
      ]);
      const summary = `${rule.name}: ${ALERT_METRICS[rule.metric as AlertMetric]?.label ?? rule.metric} ${isFiring ? "" : "back to normal, "}${outcome.detail}`;
      emitPierEvent(tx, {
        type: isFiring ? "alert.firing" : "alert.resolved",
        severity: isFiring ? (rule.severity as "high") : "info",
        subject: { service, environment },
        actor: systemActor("alert-evaluator"),
        data: {
          ruleId: rule.id,
          ruleName: rule.name,
          metric: rule.metric,
          kind: rule.kind as "threshold",
          value: outcome.value,
          summary,
          url: "/admin/alerts",
        },
        labels: { alert_rule: rule.name, metric: rule.metric, alert_kind: rule.kind, ...(team ? { team: team.slug } : {}) },
      });
    }
    return isFiring ? "fired" : "resolved";
  });
}

/** One evaluation of every rule (the periodic loop's work; tests call it directly). */
export async function evaluateAlertRules(db: Db, now = new Date()) {
  const rules = await db.kysely.selectFrom("AlertRule").selectAll().orderBy("name").execute();
  const results: Record<string, string> = {};
  for (const rule of rules) {
    try {
      results[rule.name] = await applyOutcome(db, rule.id, await judgeRule(db, rule, now), now);
    } catch (err) {
      // One broken rule (a scope deleted since, …) must not stop the others.
      logger.warn({ err, ruleId: rule.id }, "alert rule evaluation failed");
      results[rule.name] = "failed";
    }
  }
  return results;
}

const ALERT_EVALUATION_INTERVAL_MS = 5 * 60_000;

/** The workers' loop: every 5 minutes, under a lease so N worker processes evaluate once. */
export function startAlertEvaluation(db: Db, intervalMs = ALERT_EVALUATION_INTERVAL_MS) {
  return startPeriodic("alert-evaluation", intervalMs, () => evaluateAlertRules(db), { lease: db });
}
