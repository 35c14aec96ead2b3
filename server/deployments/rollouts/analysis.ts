// Verification after a wave, in the shape of an Argo Rollouts AnalysisTemplate: each metric is measured `count`
// times, `interval` apart; a measurement is successful, failed, inconclusive or an error; the run fails once a
// metric's failures exceed `failureLimit`, is inconclusive once inconclusive ones exceed `inconclusiveLimit`, errs
// once consecutive errors exceed `consecutiveErrorLimit`, and succeeds when every metric took its count.
// Conditions are JSONata expressions over `result` (the query's values as numbers): `result[0] < 0.05`.
// Providers: the Prometheus HTTP API (`/api/v1/query`, instant query) and the simulator's fake metrics.
import jsonata from "jsonata";
import { z } from "zod";

const duration = z.union([z.number().int().min(0).max(86_400), z.string().regex(/^\d+(ms|s|m|h)$/, "Use a duration such as 30s, 5m or 1h")]);

const metricSchema = z.object({
  name: z.string().trim().min(1).max(60),
  interval: duration.default(30),
  initialDelay: duration.optional(),
  count: z.number().int().min(1).max(100).default(1),
  failureLimit: z.number().int().min(0).max(100).default(0),
  inconclusiveLimit: z.number().int().min(0).max(100).default(0),
  consecutiveErrorLimit: z.number().int().min(0).max(100).default(4),
  successCondition: z.string().trim().min(1).max(500).optional(),
  failureCondition: z.string().trim().min(1).max(500).optional(),
  provider: z.union([
    z.object({ prometheus: z.object({ address: z.string().url("provider.prometheus.address must be a URL"), query: z.string().trim().min(1).max(2000) }) }),
    z.object({ simulator: z.object({ metric: z.string().trim().min(1).max(60) }) }),
  ]),
});
export type AnalysisMetric = z.infer<typeof metricSchema>;

export const analysisTemplateSchema = z.object({ metrics: z.array(metricSchema).min(1, "An analysis needs at least one metric").max(10) });
export type AnalysisTemplate = z.infer<typeof analysisTemplateSchema>;

export type MeasurementPhase = "successful" | "failed" | "inconclusive" | "error";
export type Measurement = { metric: string; at: string; phase: MeasurementPhase; value: number[] | null; message: string };
export type AnalysisStatus = "running" | "successful" | "failed" | "inconclusive" | "error";

/** Seconds in a duration written as a number of seconds or "500ms" / "30s" / "5m" / "1h". */
export function seconds(d: number | string | undefined): number {
  if (d === undefined) return 0;
  if (typeof d === "number") return d;
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
}

type PromAnswer = { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: unknown } };

/** The values of a Prometheus answer as numbers (vector: one per series; scalar: one), or an error message. */
export function valuesOf(answer: PromAnswer): { ok: true; values: number[] } | { ok: false; message: string } {
  if (answer.status !== "success") return { ok: false, message: `Prometheus ${answer.errorType ?? "error"}: ${answer.error ?? "no status"}` };
  const { resultType, result } = answer.data ?? {};
  if (resultType === "scalar" && Array.isArray(result)) return { ok: true, values: [Number(result[1])] };
  if (resultType === "vector" && Array.isArray(result)) {
    return { ok: true, values: result.map((s) => Number((s as { value?: [number, string] }).value?.[1])) };
  }
  return { ok: false, message: `Prometheus answered a ${resultType ?? "missing"} result; the analysis needs a vector or scalar` };
}

async function holds(expression: string, values: number[]): Promise<boolean> {
  return Boolean(await jsonata(expression).evaluate({ result: values }));
}

/** One measurement's phase from the metric's values (Argo Rollouts' rules; no data is inconclusive). */
export async function judge(metric: AnalysisMetric, values: number[]): Promise<{ phase: MeasurementPhase; message: string }> {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) return { phase: "inconclusive", message: "no data" };
  try {
    if (metric.failureCondition && (await holds(metric.failureCondition, values))) return { phase: "failed", message: `${metric.failureCondition} held` };
    if (metric.successCondition) {
      if (await holds(metric.successCondition, values)) return { phase: "successful", message: `${metric.successCondition} held` };
      return metric.failureCondition
        ? { phase: "inconclusive", message: "neither condition held" }
        : { phase: "failed", message: `${metric.successCondition} did not hold` };
    }
    return { phase: "successful", message: "no condition to check" };
  } catch (err) {
    return { phase: "error", message: `condition error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;
/** Fake metric values for the simulator provider (server/deployments/rollouts/simulated-metrics.ts). */
type SimulatedMetrics = (metric: string) => number[];
export type MeasureContext = { fetch: Fetcher; simulated: SimulatedMetrics; vars: Record<string, string> };

/** `{{name}}` placeholders in a query: targets (a regex of the wave's target names), service, version, environment. */
export const fill = (query: string, vars: Record<string, string>) => query.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => vars[k] ?? "");

/** Takes one measurement of a metric. */
export async function measure(metric: AnalysisMetric, ctx: MeasureContext, now = new Date()): Promise<Measurement> {
  const at = now.toISOString();
  let values: number[];
  if ("simulator" in metric.provider) {
    values = ctx.simulated(metric.provider.simulator.metric);
  } else {
    const { address, query } = metric.provider.prometheus;
    const url = `${address.replace(/\/$/, "")}/api/v1/query`;
    try {
      const res = await ctx.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: fill(query, ctx.vars), time: String(now.getTime() / 1000) }).toString(),
      });
      const answer = (await res.json().catch(() => ({ status: "error", error: `HTTP ${res.status} with a body that is not JSON` }))) as PromAnswer;
      const parsed = valuesOf(answer);
      if (!parsed.ok) return { metric: metric.name, at, phase: "error", value: null, message: parsed.message };
      values = parsed.values;
    } catch (err) {
      return { metric: metric.name, at, phase: "error", value: null, message: err instanceof Error ? err.message : String(err) };
    }
  }
  return { metric: metric.name, at, value: values, ...(await judge(metric, values)) };
}

/** Where a metric's measurements so far leave it. */
function metricStatus(metric: AnalysisMetric, taken: readonly Measurement[]): AnalysisStatus {
  const mine = taken.filter((m) => m.metric === metric.name);
  const count = (p: MeasurementPhase) => mine.filter((m) => m.phase === p).length;
  if (count("failed") > metric.failureLimit) return "failed";
  if (count("inconclusive") > metric.inconclusiveLimit) return "inconclusive";
  let consecutiveErrors = 0;
  for (let i = mine.length - 1; i >= 0 && mine[i].phase === "error"; i--) consecutiveErrors++;
  if (consecutiveErrors > metric.consecutiveErrorLimit) return "error";
  return mine.length >= metric.count ? "successful" : "running";
}

const RANK: Record<AnalysisStatus, number> = { error: 4, failed: 3, inconclusive: 2, running: 1, successful: 0 };

/** The run's status: its worst metric's (an error or failure ends it even while other metrics still run). */
export function analysisStatus(template: AnalysisTemplate, taken: readonly Measurement[]): AnalysisStatus {
  return template.metrics.map((m) => metricStatus(m, taken)).reduce((worst, s) => (RANK[s] > RANK[worst] ? s : worst), "successful" as AnalysisStatus);
}

/** The metrics still to measure now (running ones), and the delay before the next measurement (smallest interval). */
export function nextMeasurements(template: AnalysisTemplate, taken: readonly Measurement[]) {
  const due = template.metrics.filter((m) => metricStatus(m, taken) === "running");
  return { due, intervalSeconds: due.length ? Math.min(...due.map((m) => seconds(m.interval))) : 0 };
}

export const initialDelaySeconds = (template: AnalysisTemplate) => Math.min(...template.metrics.map((m) => seconds(m.initialDelay)));
