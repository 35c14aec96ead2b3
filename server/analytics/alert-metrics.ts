// What an alert rule measures: any DORA key (server/dora's keyFigures, the dashboard's own numbers) or a delivery
// analytic (./delivery-analytics.ts), over a window, for a team/service/environment scope; and the anomaly test.
//
// Anomaly detection (documented on the admin page and in the README): the weekly series is the metric over each of
// the last N+1 whole weeks (Monday 00:00 UTC to Monday 00:00 UTC, ending at the last Monday before now). The newest
// week is the observation x; the N weeks before are the baseline (weeks with no value — no deployments, say — are
// left out; at least 4 are needed, else "no data"). Mean μ and sample standard deviation σ of the baseline; x is
// anomalous when it lies above μ + k·σ ("above"), below μ − k·σ ("below") or either ("outside"). σ is floored at
// 5 % of |μ| so that a perfectly flat baseline does not make every small wobble an anomaly.
import type { Db } from "../db";
import { keyFigures, resolveFilter } from "../dora/metrics";
import { deliveryTotals } from "./delivery-analytics";

export const ALERT_METRICS = {
  deployment_frequency: { label: "Deployment frequency (per week)", unit: "per_week", source: "dora" },
  change_failure_rate: { label: "Change failure rate", unit: "ratio", source: "dora" },
  lead_time_p50: { label: "Lead time for changes (median)", unit: "seconds", source: "dora" },
  time_to_restore_p50: { label: "Time to restore (median)", unit: "seconds", source: "dora" },
  success_rate: { label: "Deployment success rate", unit: "ratio", source: "delivery" },
  rollback_rate: { label: "Rollback rate", unit: "ratio", source: "delivery" },
  duration_p95: { label: "Deployment duration (p95)", unit: "seconds", source: "delivery" },
  queue_wait_p95: { label: "Queue wait (p95)", unit: "seconds", source: "delivery" },
} as const;
export type AlertMetric = keyof typeof ALERT_METRICS;
export const ALERT_METRIC_NAMES = Object.keys(ALERT_METRICS) as [AlertMetric, ...AlertMetric[]];

export type MetricScope = { teamId: string | null; serviceId: string | null; environmentId: string | null };

/** The metric's value over [from, to) for the scope; null when nothing was measured (no deployments, …). */
export async function metricValue(db: Db, metric: AlertMetric, scope: MetricScope, from: Date, to: Date): Promise<number | null> {
  if (ALERT_METRICS[metric].source === "delivery") {
    const t = await deliveryTotals(db, { from, to, ...scope });
    const byMetric = { success_rate: t.successRate, rollback_rate: t.rollbackRate, duration_p95: t.durationP95, queue_wait_p95: t.queueWaitP95 };
    return byMetric[metric as keyof typeof byMetric];
  }
  // DORA keys: the environment by name (default: production), as the dashboard resolves it.
  const environment = scope.environmentId ? (await db.environment.findUnique({ where: { id: scope.environmentId }, select: { name: true } }))?.name : undefined;
  const f = await resolveFilter(db, { from, to, environment, teamId: scope.teamId, serviceId: scope.serviceId });
  const k = await keyFigures(db, f);
  const byMetric = {
    deployment_frequency: k.deploymentsPerWeek,
    change_failure_rate: k.changeFailureRate,
    lead_time_p50: k.leadTimeP50,
    time_to_restore_p50: k.restoreP50,
  };
  return byMetric[metric as keyof typeof byMetric];
}

const WEEK = 7 * 86_400_000;
/** The Monday 00:00 UTC at or before `now`: the end of the last whole week. */
export function lastWeekEnd(now: Date) {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000);
}

/** The metric over each of the last `weeks` whole weeks, oldest first. */
export async function weeklySeries(db: Db, metric: AlertMetric, scope: MetricScope, weeks: number, now: Date) {
  const end = lastWeekEnd(now);
  const starts = Array.from({ length: weeks }, (_, i) => new Date(end.getTime() - (weeks - i) * WEEK));
  const values = await Promise.all(starts.map((s) => metricValue(db, metric, scope, s, new Date(s.getTime() + WEEK))));
  return starts.map((weekStart, i) => ({ weekStart, value: values[i] }));
}

export type Direction = "above" | "below" | "outside";
const MIN_BASELINE_WEEKS = 4;

export type AnomalyVerdict =
  { enough: false; baseline: number } | { enough: true; anomalous: boolean; mean: number; stddev: number; lower: number; upper: number };

/** The anomaly test on one observation against its baseline (see the header). */
export function judgeAnomaly(observation: number, baseline: readonly (number | null)[], k: number, direction: Direction): AnomalyVerdict {
  const values = baseline.filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length < MIN_BASELINE_WEEKS) return { enough: false, baseline: values.length };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  const stddev = Math.max(Math.sqrt(variance), 0.05 * Math.abs(mean));
  const lower = mean - k * stddev;
  const upper = mean + k * stddev;
  const anomalous = (direction !== "below" && observation > upper) || (direction !== "above" && observation < lower);
  return { enough: true, anomalous, mean, stddev, lower, upper };
}

/** A value as people read it: percentages for ratios, hours/minutes for durations. */
export function formatMetricValue(metric: AlertMetric, value: number | null): string {
  if (value === null) return "no data";
  const unit = ALERT_METRICS[metric].unit;
  if (unit === "ratio") return `${Math.round(value * 1000) / 10} %`;
  if (unit === "per_week") return `${Math.round(value * 10) / 10} / week`;
  if (value >= 3600) return `${Math.round((value / 3600) * 10) / 10} h`;
  return `${Math.round((value / 60) * 10) / 10} min`;
}
