// Argo CD executor: POST a sync for the Application, then poll its status until the operation finishes.
// Integration kind "argocd": settings { baseUrl }, secret { token }; executorConfig { integration, application,
// prune?, syncOptions?, pollIntervalMs?, timeoutMs? }. Syncs are not queued by Argo CD: while another operation
// runs it answers 400 with gRPC code 9, so Pier waits and retries a few times before giving up.
import { describeHttpFailure, loadIntegration, num, str, type ExecutionResult, type Executor } from "./executor";

type ArgoSettings = { baseUrl: string };
type ArgoSecret = { token: string };

type ArgoApp = {
  status?: {
    sync?: { status?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string; startedAt?: string };
  };
};

const isBusy = (status: number, body: string) => status === 400 && (/"code"\s*:\s*9\b/.test(body) || /another operation is already in progress/i.test(body));

export const argoCdExecutor: Executor = {
  kind: "argocd",
  workerDriven: true,
  async start(ctx): Promise<ExecutionResult> {
    const { settings, secret } = await loadIntegration<ArgoSettings, ArgoSecret>(ctx.db, ctx.config.integration, "argocd");
    const app = str(ctx.config.application, ctx.request.service.slug);
    const base = `${settings.baseUrl.replace(/\/$/, "")}/api/v1/applications/${encodeURIComponent(app)}`;
    const headers = { authorization: `Bearer ${secret.token}`, "content-type": "application/json", accept: "application/json" };
    const pollMs = num(ctx.config.pollIntervalMs, 5000);
    const deadline = Date.now() + num(ctx.config.timeoutMs, 15 * 60_000);
    const syncOptions = Array.isArray(ctx.config.syncOptions) ? (ctx.config.syncOptions as string[]) : [];
    const body = JSON.stringify({
      revision: ctx.request.version,
      prune: ctx.config.prune === true,
      dryRun: false,
      strategy: { hook: {} },
      // The API takes an object with items, not the CRD's bare array.
      syncOptions: { items: syncOptions },
    });

    let syncedAt = 0;
    for (let attempt = 1; ; attempt++) {
      const requestedAt = Date.now();
      const res = await ctx.fetch(`${base}/sync`, { method: "POST", headers, body });
      if (res.ok) {
        syncedAt = requestedAt;
        await ctx.log(`Argo CD sync of ${app} to ${ctx.request.version} started`);
        break;
      }
      const text = await res.text().catch(() => "");
      if (isBusy(res.status, text) && attempt < num(ctx.config.busyRetries, 5) && Date.now() < deadline) {
        await ctx.log(`Argo CD is busy with another operation on ${app}; retrying in ${Math.round(pollMs / 1000)} s`, "warn");
        if (!(await ctx.heartbeat())) return { outcome: "abandoned", message: "run was taken over or cancelled" };
        await ctx.sleep(pollMs);
        continue;
      }
      if (isBusy(res.status, text)) return { outcome: "failed", message: `Argo CD kept another operation running on ${app}; sync not started` };
      return { outcome: "failed", message: `Argo CD refused the sync: HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ""}` };
    }

    let lastLine = "";
    while (Date.now() < deadline) {
      await ctx.sleep(pollMs);
      if (!(await ctx.heartbeat())) return { outcome: "abandoned", message: "run was taken over or cancelled" };
      const res = await ctx.fetch(base, { headers });
      if (!res.ok) {
        await ctx.log(`Reading ${app} failed: ${await describeHttpFailure(res)}`, "warn");
        continue;
      }
      const status = ((await res.json()) as ArgoApp).status ?? {};
      const op = status.operationState;
      // Until Argo CD reports an operation started after our sync, the status still describes the previous one.
      if (!op?.startedAt || Date.parse(op.startedAt) < syncedAt - 2000) continue;
      const health = status.health?.status ?? "Unknown";
      const line = `operation ${op.phase}, sync ${status.sync?.status ?? "Unknown"}, health ${health}`;
      if (line !== lastLine) await ctx.log(line);
      lastLine = line;
      if (op.phase === "Failed" || op.phase === "Error")
        return { outcome: "failed", message: `Argo CD sync ${op.phase.toLowerCase()}: ${op.message ?? ""}`.trim() };
      if (op.phase === "Succeeded") {
        if (health === "Healthy") return { outcome: "succeeded", message: `${app} synced and healthy` };
        if (health === "Degraded" || health === "Missing")
          return { outcome: "failed", message: `${app} synced but is ${health}${status.health?.message ? `: ${status.health.message}` : ""}` };
      }
    }
    return { outcome: "failed", message: `Argo CD did not finish syncing ${app} in time` };
  },
};
