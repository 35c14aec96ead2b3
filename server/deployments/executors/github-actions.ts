// GitHub Actions executor: workflow_dispatch with inputs. Integration kind "github_actions":
// settings { owner, repo, apiUrl?, apiVersion? }, secret { token }; executorConfig { integration, workflow, ref? }.
// GitHub answers 204 (no body) on older API versions and 200 with the run id on newer ones: both are accepted.
// Without a run id, the run is matched later by its run-name, which the workflow sets to include the request id
// (`run-name: Pier deploy ${{ inputs.pier_request_id }}`). Status arrives via workflow_run/deployment_status.
import { describeHttpFailure, loadIntegration, str, type ExecutionResult, type Executor } from "./executor";

type GithubSettings = { owner: string; repo: string; apiUrl?: string; apiVersion?: string };
type GithubSecret = { token: string };

export const githubActionsExecutor: Executor = {
  kind: "github_actions",
  workerDriven: false,
  async start(ctx): Promise<ExecutionResult> {
    const { settings, secret } = await loadIntegration<GithubSettings, GithubSecret>(ctx.db, ctx.config.integration, "github_actions");
    const workflow = str(ctx.config.workflow, "deploy.yml");
    const api = (settings.apiUrl ?? "https://api.github.com").replace(/\/$/, "");
    const url = `${api}/repos/${encodeURIComponent(settings.owner)}/${encodeURIComponent(settings.repo)}/actions/workflows/${encodeURIComponent(workflow)}/dispatches`;
    const r = ctx.request;
    const body = {
      ref: str(ctx.config.ref, "main"),
      inputs: { pier_request_id: r.id, version: r.version, environment: r.environment.name, strategy: r.strategy },
    };
    await ctx.log(`Dispatching ${settings.owner}/${settings.repo} workflow ${workflow} on ${body.ref}`);
    const res = await ctx.fetch(url, {
      method: "POST",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${secret.token}`,
        "x-github-api-version": settings.apiVersion ?? "2022-11-28",
        "content-type": "application/json",
        "user-agent": "Pier-Deployments",
      },
      body: JSON.stringify(body),
    });
    if (res.status === 204) return { outcome: "pending", externalRunId: null, message: "Workflow dispatched; waiting for GitHub to report the run" };
    if (res.status === 200 || res.status === 201) {
      const answer = (await res.json().catch(() => ({}))) as { workflow_run_id?: number; id?: number; run_id?: number; html_url?: string };
      const runId = answer.workflow_run_id ?? answer.run_id ?? answer.id;
      return {
        outcome: "pending",
        externalRunId: runId ? String(runId) : null,
        message: `Workflow run ${runId ?? "(id unknown)"} started${answer.html_url ? `: ${answer.html_url}` : ""}`,
      };
    }
    return { outcome: "failed", message: `GitHub refused the workflow dispatch: ${await describeHttpFailure(res)}` };
  },
};
