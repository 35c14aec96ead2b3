// The executor interface: how a deployment is carried out. The worker builds an ExecutionContext for a run and
// calls start(); the executor either finishes (simulator, Argo CD: polled here) or hands off to an outside system
// that reports back later (webhook callback, GitHub workflow_run / deployment_status webhooks).
import type { DeploymentStrategy } from "@/generated/prisma/enums";
import type { Db } from "../../db";
import { badRequest } from "../../errors";
import { decryptJson } from "../../platform/secrets";
import { checkOutboundUrl, fetchChecked, loadAllowList } from "../../platform/outbound-url";

type ExecutionTarget = {
  id: string;
  version: string;
  previousVersion: string | null;
  strategy: DeploymentStrategy;
  canarySteps: number[];
  attempt: number;
  service: { slug: string; name: string };
  environment: { name: string };
};

export type ExecutionContext = {
  db: Db;
  request: ExecutionTarget;
  /** ServiceEnvironment.executorConfig for this service/environment. */
  config: Record<string, unknown>;
  log(message: string, level?: "info" | "warn" | "error"): Promise<void>;
  /** Records progress and refreshes the heartbeat; false when this run is no longer ours (cancelled, retried). */
  heartbeat(progress?: number): Promise<boolean>;
  /** fetch through the outbound URL guard. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  sleep(ms: number): Promise<void>;
};

export type ExecutionResult =
  | { outcome: "succeeded" | "failed"; message: string }
  | { outcome: "pending"; externalRunId: string | null; message: string }
  | { outcome: "abandoned"; message: string };

/** An active/passive pair's failover: traffic moves from the drained target to its passive partner. */
type FailoverContext = {
  db: Db;
  from: { name: string; labels: Record<string, string> };
  to: { name: string; labels: Record<string, string> };
  environment: string;
  reason: string;
  /** The drained target's executor settings. */
  config: Record<string, unknown>;
  fetch(url: string, init?: RequestInit): Promise<Response>;
};

export interface Executor {
  readonly kind: string;
  /** Executors whose progress the worker itself drives (a stale heartbeat means the worker died). */
  readonly workerDriven: boolean;
  start(ctx: ExecutionContext): Promise<ExecutionResult>;
  /** Moves traffic of an active/passive pair; executors without one cannot fail over (the drain still applies). */
  failover?(ctx: FailoverContext): Promise<{ ok: boolean; message: string }>;
}

export type LoadedIntegration<S, K> = { name: string; settings: S; secret: K };

/** The named Integration of the expected kind, with its secret decrypted. */
export async function loadIntegration<S = Record<string, unknown>, K = Record<string, unknown>>(
  db: Db,
  name: unknown,
  kind: string,
): Promise<LoadedIntegration<S, K>> {
  if (typeof name !== "string" || !name) throw badRequest(`executorConfig.integration must name a ${kind} integration`);
  const row = await db.integration.findUnique({ where: { name } });
  if (!row) throw badRequest(`Integration "${name}" does not exist`);
  if (row.kind !== kind) throw badRequest(`Integration "${name}" is a ${row.kind} integration, not ${kind}`);
  return { name, settings: row.settings as S, secret: decryptJson<K>(row.secretEncrypted) };
}

/** fetch that refuses URLs the outbound guard refuses (SSRF) and connects to the address it checked, with a timeout. */
export async function guardedFetch(db: Db, url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Response> {
  const check = await checkOutboundUrl(url, await loadAllowList(db.kysely));
  if (!check.ok) throw new Error(`Refusing to call ${url}: URL ${check.reason}`);
  return fetchChecked(check, init, timeoutMs);
}

/** A short description of a failed HTTP answer for the deployment log. */
export async function describeHttpFailure(res: Response): Promise<string> {
  const body = (await res.text().catch(() => "")).slice(0, 300);
  return `HTTP ${res.status}${body ? `: ${body}` : ""}`;
}

export const num = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
export const str = (v: unknown, fallback = "") => (typeof v === "string" && v ? v : fallback);
