// After-deploy impact: the service's error rate and latency for 30 minutes before vs after a deployment started,
// from Prometheus (`/api/v1/query_range` at the address the environment's rollout verification uses, through the
// outbound URL guard) or, where the environment verifies with the simulator, from the simulator's fake metrics
// (previous version before, deployed version after), so the demo shows a chart without a Prometheus.
import type { Db } from "../../db";
import { notFound } from "../../errors";
import type { SessionUser } from "../../identity/roles";
import { guardedFetch } from "../executors/executor";
import { fill, type AnalysisTemplate } from "../rollouts/analysis";
import { simulatedMetrics } from "../rollouts/simulated-metrics";
import { canEditImpactQueries, loadImpactQueries } from "./impact-store";

const WINDOW_SECONDS = 30 * 60;
const STEP_SECONDS = 60;

type Point = { t: number; v: number };
export type ImpactSeries = {
  metric: "error_rate" | "latency";
  query: string | null;
  points: Point[];
  before: number | null;
  after: number | null;
  verdict: string;
  error: string | null;
};
type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const signed = (n: number, digits: number) => `${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(digits)}`;

/** "error rate +2.1 pp after deploy" / "p95 latency +35 ms (+18 %) after deploy", from the means either side. */
function verdictOf(metric: ImpactSeries["metric"], before: number | null, after: number | null): string {
  if (before === null || after === null) return `not enough data ${before === null ? "before" : "after"} the deploy`;
  if (metric === "error_rate") return `error rate ${signed((after - before) * 100, 1)} pp after deploy`;
  const pct = before === 0 ? "" : ` (${signed(((after - before) / before) * 100, 0)} %)`;
  return `p95 latency ${signed((after - before) * 1000, 0)} ms${pct} after deploy`;
}

/** One value per timestamp from a Prometheus matrix answer (several series are averaged), or an error message. */
function pointsOf(answer: unknown): { ok: true; points: Point[] } | { ok: false; message: string } {
  const a = answer as { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: { values?: [number, string][] }[] } };
  if (a?.status !== "success") return { ok: false, message: `Prometheus ${a?.errorType ?? "error"}: ${a?.error ?? "no status"}` };
  if (a.data?.resultType !== "matrix" || !Array.isArray(a.data.result))
    return { ok: false, message: `Prometheus answered a ${a.data?.resultType ?? "missing"} result; a range query needs a matrix` };
  const byT = new Map<number, number[]>();
  for (const s of a.data.result)
    for (const [t, v] of s.values ?? []) if (Number.isFinite(Number(v))) byT.set(Number(t), [...(byT.get(Number(t)) ?? []), Number(v)]);
  return { ok: true, points: [...byT.entries()].sort(([x], [y]) => x - y).map(([t, vs]) => ({ t, v: mean(vs)! })) };
}

function summarise(metric: ImpactSeries["metric"], query: string | null, points: Point[], at: number, error: string | null = null): ImpactSeries {
  const before = mean(points.filter((p) => p.t < at).map((p) => p.v));
  const after = mean(points.filter((p) => p.t >= at).map((p) => p.v));
  return { metric, query, points, before, after, verdict: error ?? verdictOf(metric, before, after), error };
}

async function rangeQuery(fetch: Fetcher, address: string, query: string, start: number, end: number) {
  const res = await fetch(`${address.replace(/\/$/, "")}/api/v1/query_range`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query, start: String(start), end: String(end), step: `${STEP_SECONDS}s` }).toString(),
  });
  return pointsOf(await res.json().catch(() => ({ status: "error", error: `HTTP ${res.status} with a body that is not JSON` })));
}

/** A little deterministic wobble so simulated lines look like measurements, not rulers. */
const wobble = (i: number) => 1 + 0.06 * Math.sin(i * 1.7) + 0.03 * Math.cos(i * 0.6);

async function deploymentOf(db: Db, requestId: string) {
  const d = await db.kysely
    .selectFrom("DeploymentRequest as d")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .innerJoin("Environment as e", "e.id", "d.environmentId")
    .leftJoin("RolloutPlan as p", "p.environmentId", "d.environmentId")
    .select(["d.id", "d.serviceId", "d.environmentId", "d.version", "d.previousVersion", "d.startedAt", "s.slug", "e.name as environment", "p.analysis"])
    .where("d.id", "=", requestId)
    .executeTakeFirst();
  if (!d) throw notFound("Deployment request");
  return d;
}

/** The impact of a deployment; `now` and `fetch` are for tests. */
export async function deploymentImpact(db: Db, user: SessionUser, requestId: string, opts: { now?: Date; fetch?: Fetcher } = {}) {
  const d = await deploymentOf(db, requestId);
  const queries = await loadImpactQueries(db, d.serviceId);
  const canEdit = await canEditImpactQueries(db, user, d.serviceId);
  const base = { queries, canEdit, windowMinutes: WINDOW_SECONDS / 60 };
  if (!d.startedAt) return { ...base, source: null, address: null, deployedAt: null, series: [] as ImpactSeries[] };
  const at = d.startedAt.getTime() / 1000;
  const end = Math.min(at + WINDOW_SECONDS, (opts.now ?? new Date()).getTime() / 1000);
  const start = at - WINDOW_SECONDS;
  const metrics = (d.analysis as AnalysisTemplate | null)?.metrics ?? [];
  const address = metrics.map((m) => ("prometheus" in m.provider ? m.provider.prometheus.address : null)).find(Boolean);
  const wanted = [
    ["error_rate", queries.errorRateQuery],
    ["latency", queries.latencyQuery],
  ] as const;
  if (address) {
    const fetch: Fetcher = opts.fetch ?? ((url, init) => guardedFetch(db, url, init, 10_000));
    const vars = { service: d.slug, environment: d.environment, version: d.version };
    const series = await Promise.all(
      wanted
        .filter(([, q]) => q)
        .map(async ([metric, q]) => {
          const query = fill(q!, vars);
          const r = await rangeQuery(fetch, address, query, start, end).catch((err: unknown) => ({
            ok: false as const,
            message: err instanceof Error ? err.message : String(err),
          }));
          return r.ok ? summarise(metric, query, r.points, at) : summarise(metric, query, [], at, r.message);
        }),
    );
    return { ...base, source: "prometheus" as const, address, deployedAt: d.startedAt.toISOString(), series };
  }
  // No Prometheus in the environment's verification: the simulator's fake metrics of its targets (else the service's placement).
  const targets = await db.kysely.selectFrom("DeploymentTarget").select("executorConfig").where("environmentId", "=", d.environmentId).execute();
  const placement = await db.kysely
    .selectFrom("ServiceEnvironment")
    .select("executorConfig")
    .where("serviceId", "=", d.serviceId)
    .where("environmentId", "=", d.environmentId)
    .executeTakeFirst();
  const svcConfig = (placement?.executorConfig ?? {}) as Record<string, unknown>;
  const configs = targets.length ? targets.map((t) => ({ ...svcConfig, ...(t.executorConfig as Record<string, unknown>) })) : [svcConfig];
  const series = (["error_rate", "latency"] as const).map((metric) => {
    const name = metric === "error_rate" ? "error_rate" : "latency_p95_seconds";
    const value = (version: string) => mean(simulatedMetrics(configs, version, name)) ?? 0;
    const points: Point[] = [];
    for (let t = start, i = 0; t <= end; t += STEP_SECONDS, i++) points.push({ t, v: value(t < at ? (d.previousVersion ?? "") : d.version) * wobble(i) });
    return summarise(metric, null, points, at);
  });
  return { ...base, source: "simulator" as const, address: null, deployedAt: d.startedAt.toISOString(), series };
}
