// Status reports from outside systems: the generic webhook's signed callback and GitHub's workflow_run /
// deployment_status webhooks. Both map to a heartbeat (still running) or finishRun (done).
import { getDb, type Db } from "../db";
import { systemActor } from "../audit/audit-log";
import { badRequest, DomainError, HTTP_STATUS, notFound } from "../errors";
import { logger } from "../logger";
import { classifyFailure, failureReference } from "../platform/failures";
import { BodyRefusal, bodyText, readBoundedBody } from "../platform/http-body";
import { findUnsafeValue } from "../platform/input-rules";
import { decryptJson } from "../platform/secrets";
import { writeLog } from "./deployment-log";
import { finishRun } from "./execution";
import { recordRunReport } from "./request-store";
import type { WebhookSecret } from "./executors/webhook";
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

/**
 * The generic webhook executor's callback. The signature is verified first, against the signing secret of every
 * webhook integration, before the body is parsed or any request is looked up (so request ids cannot be probed);
 * then the request must exist, use the webhook executor, and be configured with the integration that signed.
 */
export async function applyWebhookCallback(db: Db, rawBody: string, headers: { signature: string | null; timestamp: string | null }) {
  const integrations = await db.integration.findMany({ where: { kind: "webhook" }, select: { name: true, secretEncrypted: true } });
  let signer: string | undefined;
  let reason = "signature does not match";
  for (const i of integrations) {
    const secret = decryptJson<WebhookSecret>(i.secretEncrypted).signingSecret;
    const check = typeof secret === "string" && secret ? verifyBodySignature(secret, headers.timestamp, rawBody, headers.signature) : null;
    if (check?.ok) {
      signer = i.name;
      break;
    }
    if (check) reason = check.reason;
  }
  if (!signer) throw new DomainError("UNAUTHORIZED", `Invalid signature: ${reason}`);
  let report: CallbackReport;
  try {
    report = JSON.parse(rawBody) as CallbackReport;
  } catch {
    throw badRequest("Body is not JSON");
  }
  const unsafe = findUnsafeValue(report);
  if (unsafe) throw badRequest(`${unsafe.field} ${unsafe.problem}`, unsafe.field);
  if (typeof report?.requestId !== "string" || report.requestId.length > 64 || !["running", "succeeded", "failed"].includes(report.status)) {
    throw badRequest('Body needs "requestId" and "status" (running | succeeded | failed)');
  }
  if (report.message !== undefined && typeof report.message !== "string") throw badRequest("message must be a string", "message");
  const r = await db.deploymentRequest.findUnique({ where: { id: report.requestId }, select: { serviceId: true, environmentId: true, executor: true } });
  if (!r || r.executor !== "webhook") throw notFound("Deployment request");
  const placement = await db.serviceEnvironment.findUnique({ where: { serviceId_environmentId: { serviceId: r.serviceId, environmentId: r.environmentId } } });
  const config = (placement?.executorConfig ?? {}) as Record<string, unknown>;
  // Signed by another integration's secret: that system does not run this request.
  if (config.integration !== signer) throw notFound("Deployment request");
  const outcome = await record(db, report.requestId, report.status, (report.message ?? "").slice(0, 2000), "webhook-callback", {
    progress: typeof report.progress === "number" && Number.isFinite(report.progress) ? report.progress : undefined,
    attempt: typeof report.attempt === "number" && Number.isInteger(report.attempt) ? report.attempt : undefined,
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

/** Callback bodies are small JSON reports; more than this is refused while reading, not after. */
const MAX_CALLBACK_BYTES = 64 * 1024;

/** POST /api/deployments/callback: the body is read with a byte limit and its signature verified before anything else. */
export async function handleWebhookCallbackPost(req: Request): Promise<Response> {
  try {
    const raw = bodyText(await readBoundedBody(req, MAX_CALLBACK_BYTES));
    const result = await applyWebhookCallback(getDb(), raw, { signature: req.headers.get(SIGNATURE_HEADER), timestamp: req.headers.get(TIMESTAMP_HEADER) });
    return Response.json(result, { status: 200 });
  } catch (err) {
    if (err instanceof BodyRefusal) return Response.json({ error: err.message, field: err.field }, { status: err.status });
    if (err instanceof DomainError) return Response.json({ error: err.message, field: err.field ?? null }, { status: HTTP_STATUS[err.code] });
    const reference = failureReference();
    const kind = classifyFailure(err);
    logger.error({ err, requestId: reference }, "deployment callback failed");
    if (kind === "invalid_data") return Response.json({ error: `The report holds a value Pier cannot store (reference ${reference})` }, { status: 422 });
    return Response.json({ error: `Pier could not apply the report; retry later (reference ${reference})` }, { status: 503, headers: { "retry-after": "30" } });
  }
}
