// Status reports from outside systems: the generic webhook's signed callback and GitHub's workflow_run /
// deployment_status webhooks. Both map to a heartbeat (still running) or finishRun (done).
import { getDb, type Db } from "../db";
import { systemActor } from "../audit/audit-log";
import { badRequest, DomainError, HTTP_STATUS, notFound } from "../errors";
import { writeLog } from "./deployment-log";
import { finishRun } from "./execution";
import { recordRunReport } from "./request-store";
import { loadIntegration } from "./executors/executor";
import type { WebhookSecret, WebhookSettings } from "./executors/webhook";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBodySignature } from "./executors/webhook-signature";

export type CallbackReport = { requestId: string; status: "running" | "succeeded" | "failed"; progress?: number; message?: string; attempt?: number };

async function record(
  db: Db,
  requestId: string,
  status: CallbackReport["status"],
  message: string,
  source: string,
  extra: { progress?: number; attempt?: number; externalRunId?: string } = {},
) {
  if (status === "running") {
    const changed = await recordRunReport(db, requestId, {
      attempt: extra.attempt,
      whileDeploying: true,
      progress: extra.progress !== undefined ? Math.max(0, Math.min(100, Math.round(extra.progress))) : undefined,
      externalRunId: extra.externalRunId || undefined,
    });
    if (changed && message) await writeLog(db, requestId, message);
    return changed ? "running" : "ignored";
  }
  const done = await finishRun(
    db,
    requestId,
    { outcome: status, message: message || `${source} reported ${status}`, attempt: extra.attempt },
    systemActor(source),
  );
  return done ? status : "ignored";
}

/** The generic webhook executor's callback: verify the signature with the integration's secret, then apply. */
export async function applyWebhookCallback(db: Db, rawBody: string, headers: { signature: string | null; timestamp: string | null }) {
  let report: CallbackReport;
  try {
    report = JSON.parse(rawBody) as CallbackReport;
  } catch {
    throw badRequest("Body is not JSON");
  }
  if (typeof report?.requestId !== "string" || !["running", "succeeded", "failed"].includes(report.status)) {
    throw badRequest('Body needs "requestId" and "status" (running | succeeded | failed)');
  }
  const r = await db.deploymentRequest.findUnique({ where: { id: report.requestId }, select: { serviceId: true, environmentId: true, executor: true } });
  if (!r || r.executor !== "webhook") throw notFound("Deployment request");
  const placement = await db.serviceEnvironment.findUnique({ where: { serviceId_environmentId: { serviceId: r.serviceId, environmentId: r.environmentId } } });
  const config = (placement?.executorConfig ?? {}) as Record<string, unknown>;
  const integration = await loadIntegration<WebhookSettings, WebhookSecret>(db, config.integration, "webhook");
  const check = verifyBodySignature(integration.secret.signingSecret, headers.timestamp, rawBody, headers.signature);
  if (!check.ok) throw new DomainError("UNAUTHORIZED", `Invalid signature: ${check.reason}`);
  const outcome = await record(db, report.requestId, report.status, report.message ?? "", "webhook-callback", {
    progress: report.progress,
    attempt: report.attempt,
  });
  return { requestId: report.requestId, outcome };
}

type WorkflowRun = { id: number; status?: string; conclusion?: string | null; display_title?: string; name?: string; html_url?: string };
type GithubPayload = {
  action?: string;
  workflow_run?: WorkflowRun;
  deployment?: { payload?: unknown; id?: number };
  deployment_status?: { state?: string; target_url?: string; log_url?: string; description?: string };
};

const OPEN = { status: "deploying" as const, executor: "github_actions" };

async function findByRun(db: Db, run: WorkflowRun) {
  const byId = await db.deploymentRequest.findFirst({ where: { ...OPEN, externalRunId: String(run.id) }, select: { id: true, attempt: true } });
  if (byId) return byId;
  // Dispatches answered 204 carry no run id: the workflow's run-name includes the request id.
  const text = `${run.display_title ?? ""} ${run.name ?? ""}`;
  const candidates = await db.deploymentRequest.findMany({ where: { ...OPEN, externalRunId: null }, select: { id: true, attempt: true } });
  return candidates.find((c) => text.includes(c.id)) ?? null;
}

/**
 * Applies a GitHub `workflow_run` or `deployment_status` webhook to the request it belongs to. Called by the GitHub
 * webhook route (owned by the DORA module) after it verified the signature. Returns what happened, for its log.
 */
export async function applyGithubRunUpdate(db: Db, payload: unknown): Promise<{ requestId: string | null; outcome: string }> {
  const p = (payload ?? {}) as GithubPayload;
  if (p.workflow_run) {
    const run = p.workflow_run;
    const match = await findByRun(db, run);
    if (!match) return { requestId: null, outcome: "unmatched" };
    const label = `GitHub run ${run.id}`;
    if (run.status !== "completed") {
      return {
        requestId: match.id,
        outcome: await record(db, match.id, "running", `${label} ${run.status ?? p.action ?? "updated"}`, "github", {
          externalRunId: String(run.id),
          attempt: match.attempt,
        }),
      };
    }
    const ok = run.conclusion === "success";
    const message = `${label} finished: ${run.conclusion ?? "unknown"}${run.html_url ? ` (${run.html_url})` : ""}`;
    return { requestId: match.id, outcome: await record(db, match.id, ok ? "succeeded" : "failed", message, "github", { attempt: match.attempt }) };
  }
  if (p.deployment_status && p.deployment) {
    const fromPayload = (p.deployment.payload as { pier_request_id?: unknown } | null)?.pier_request_id;
    const runId = /\/actions\/runs\/(\d+)/.exec(`${p.deployment_status.target_url ?? ""} ${p.deployment_status.log_url ?? ""}`)?.[1];
    const match = await db.deploymentRequest.findFirst({
      where: { ...OPEN, OR: [...(typeof fromPayload === "string" ? [{ id: fromPayload }] : []), ...(runId ? [{ externalRunId: runId }] : [])] },
      select: { id: true, attempt: true },
    });
    if (!match || (typeof fromPayload !== "string" && !runId)) return { requestId: null, outcome: "unmatched" };
    const state = p.deployment_status.state ?? "";
    const message = `GitHub deployment ${p.deployment.id ?? ""} ${state}${p.deployment_status.description ? `: ${p.deployment_status.description}` : ""}`;
    if (state === "success") return { requestId: match.id, outcome: await record(db, match.id, "succeeded", message, "github", { attempt: match.attempt }) };
    if (state === "failure" || state === "error")
      return { requestId: match.id, outcome: await record(db, match.id, "failed", message, "github", { attempt: match.attempt }) };
    return { requestId: match.id, outcome: await record(db, match.id, "running", message, "github", { attempt: match.attempt }) };
  }
  return { requestId: null, outcome: "ignored" };
}

/** POST /api/deployments/callback: the raw body is verified before anything else is read from it. */
export async function handleWebhookCallbackPost(req: Request): Promise<Response> {
  const raw = await req.text();
  if (raw.length > 64_000) return Response.json({ error: "Body too large" }, { status: 413 });
  try {
    const result = await applyWebhookCallback(getDb(), raw, { signature: req.headers.get(SIGNATURE_HEADER), timestamp: req.headers.get(TIMESTAMP_HEADER) });
    return Response.json(result, { status: 200 });
  } catch (err) {
    if (err instanceof DomainError) return Response.json({ error: err.message }, { status: HTTP_STATUS[err.code] });
    throw err;
  }
}
