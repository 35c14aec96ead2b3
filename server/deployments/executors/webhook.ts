// Generic webhook executor: a signed POST to the team's deployment system, which later reports the outcome through
// POST /api/deployments/callback (signed with the same secret). Integration kind "webhook":
// settings { url }, secret { signingSecret }.
import { requestUrl } from "../deployment-events";
import { env } from "../../env";
import { describeHttpFailure, loadIntegration, str, type ExecutionResult, type Executor } from "./executor";
import { DELIVERY_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "./webhook-signature";

type WebhookSettings = { url: string };
export type WebhookSecret = { signingSecret: string };

const callbackUrl = () => `${env().PIER_BASE_URL.replace(/\/$/, "")}/api/deployments/callback`;

export const webhookExecutor: Executor = {
  kind: "webhook",
  workerDriven: false,
  async start(ctx): Promise<ExecutionResult> {
    const integration = await loadIntegration<WebhookSettings, WebhookSecret>(ctx.db, ctx.config.integration, "webhook");
    const url = str(ctx.config.url, integration.settings.url);
    const r = ctx.request;
    const body = JSON.stringify({
      event: "deployment.execute",
      requestId: r.id,
      attempt: r.attempt,
      service: r.service.slug,
      environment: r.environment.name,
      version: r.version,
      previousVersion: r.previousVersion,
      strategy: r.strategy,
      canarySteps: r.canarySteps,
      callbackUrl: callbackUrl(),
      requestUrl: requestUrl(r.id),
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    await ctx.log(`POST ${url} (signed)`);
    const res = await ctx.fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Pier-Deployments",
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signBody(integration.secret.signingSecret, timestamp, body),
        // Same id on a retried attempt's redelivery: receivers can de-duplicate.
        [DELIVERY_HEADER]: `${r.id}:${r.attempt}`,
      },
      body,
    });
    if (!res.ok) return { outcome: "failed", message: `Deployment webhook refused the request: ${await describeHttpFailure(res)}` };
    const answer = (await res.json().catch(() => ({}))) as { runId?: unknown; id?: unknown };
    const runId = answer.runId ?? answer.id;
    return {
      outcome: "pending",
      externalRunId: runId === undefined ? null : String(runId),
      message: `Accepted by ${new URL(url).host}; waiting for its callback`,
    };
  },
  // A signed `target.failover` POST to the same URL; any 2xx means the receiver moved the traffic.
  async failover(ctx) {
    const integration = await loadIntegration<WebhookSettings, WebhookSecret>(ctx.db, ctx.config.integration, "webhook");
    const url = str(ctx.config.url, integration.settings.url);
    const body = JSON.stringify({ event: "target.failover", environment: ctx.environment, from: ctx.from, to: ctx.to, reason: ctx.reason });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await ctx.fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Pier-Deployments",
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signBody(integration.secret.signingSecret, timestamp, body),
        [DELIVERY_HEADER]: `failover:${ctx.from.name}:${timestamp}`,
      },
      body,
    });
    if (!res.ok) return { ok: false, message: `Failover webhook refused: ${await describeHttpFailure(res)}` };
    return { ok: true, message: `Failover accepted by ${new URL(url).host}: ${ctx.from.name} → ${ctx.to.name}` };
  },
};
