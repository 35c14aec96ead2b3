// Two demo alert rules on the seeded history, evaluated once so the admin page shows one firing: the data team's
// rollback rate over 30 days (its seeded profile rolls back ~10 % of runs, above the 5 % threshold) and an anomaly
// rule on the payments team's weekly change failure rate (normally quiet). Created the audited way, as Sam (admin).
// Idempotent: rules are looked up by name; evaluation only moves state (and emits an event when it changes).
import type { Db } from "../../server/db";
import { createAlertRule, type AlertRuleInput } from "../../server/analytics/alert-rules";
import { evaluateAlertRules } from "../../server/analytics/alert-evaluation";
import { loadSessionUser } from "../../server/identity/users";

export async function seedAlertRules(db: Db) {
  const sam = await loadSessionUser(db, "demo-sam");
  const teams = await db.team.findMany({ where: { slug: { in: ["data", "payments"] } }, select: { id: true, slug: true } });
  const teamId = (slug: string) => teams.find((t) => t.slug === slug)?.id ?? null;
  if (!sam || teams.length < 2) return { skipped: "no demo admin or teams yet" };
  const rules: AlertRuleInput[] = [
    {
      name: "Data: rollback rate above 5 % (30 days)",
      metric: "rollback_rate",
      kind: "threshold",
      direction: "above",
      threshold: 0.05,
      windowDays: 30,
      baselineWeeks: 8,
      sensitivity: 3,
      teamId: teamId("data"),
      severity: "high",
    },
    {
      name: "Payments: change failure rate anomaly (weekly)",
      metric: "change_failure_rate",
      kind: "anomaly",
      direction: "above",
      windowDays: 30,
      baselineWeeks: 8,
      sensitivity: 3,
      teamId: teamId("payments"),
      severity: "medium",
    },
  ];
  for (const rule of rules) {
    if (!(await db.alertRule.findUnique({ where: { name: rule.name }, select: { id: true } }))) await createAlertRule(db, sam, rule);
  }
  return evaluateAlertRules(db);
}
