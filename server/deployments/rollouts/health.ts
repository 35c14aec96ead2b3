// Target health, polled by a worker loop (under a lease): the simulator's health (healthCheck.healthy, default
// true) or a webhook health URL (GET through the outbound URL guard; 2xx is healthy). Each poll updates the
// target's health and adds a history row; rollouts read the current health when they start a target.
import { transaction, type Db } from "../../db";
import { guardedFetch } from "../executors/executor";
import { pruneHealthHistory, recordHealth } from "./fleet-store";

type HealthCheck = { kind?: string; healthy?: boolean; url?: string; message?: string };
type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

async function checkHealth(check: HealthCheck, fetch: Fetch): Promise<{ status: "healthy" | "unhealthy"; message: string }> {
  if (check.kind === "webhook") {
    if (!check.url) return { status: "unhealthy", message: "healthCheck.url is not set" };
    try {
      const res = await fetch(check.url, { method: "GET" });
      const body = (await res.text().catch(() => "")).slice(0, 200);
      return res.ok ? { status: "healthy", message: `HTTP ${res.status}` } : { status: "unhealthy", message: `HTTP ${res.status}${body ? `: ${body}` : ""}` };
    } catch (err) {
      return { status: "unhealthy", message: err instanceof Error ? err.message : String(err) };
    }
  }
  return check.healthy === false
    ? { status: "unhealthy", message: check.message ?? "simulator: cluster reports not ready" }
    : { status: "healthy", message: "simulator: all checks passed" };
}

/** Polls every target not checked in the last `intervalMs`. Returns how many it checked. */
export async function pollTargetHealth(db: Db, opts: { now?: Date; intervalMs?: number; fetch?: Fetch } = {}) {
  const now = opts.now ?? new Date();
  const before = new Date(now.getTime() - (opts.intervalMs ?? 30_000));
  const fetch = opts.fetch ?? ((url: string, init?: RequestInit) => guardedFetch(db, url, init, 5_000));
  const due = await db.kysely
    .selectFrom("DeploymentTarget")
    .select(["id", "healthCheck"])
    .where((eb) => eb.or([eb("healthCheckedAt", "is", null), eb("healthCheckedAt", "<", before)]))
    .limit(200)
    .execute();
  await Promise.all(
    due.map(async (t) => {
      const t0 = performance.now();
      const result = await checkHealth(t.healthCheck as HealthCheck, fetch);
      await transaction(db, (tx) => recordHealth(tx, t.id, { ...result, latencyMs: Math.round(performance.now() - t0), at: now }));
    }),
  );
  if (due.length) await pruneHealthHistory(db.kysely);
  return due.length;
}
