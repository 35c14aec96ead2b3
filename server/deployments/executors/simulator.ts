// Built-in simulator: the demo executor. Walks through the strategy's steps over `durationMs`, logging progress
// and heart-beating; fails with probability `failureRate` (0..1) at a random step, or at `failAtStep` when set.
import { num, type ExecutionContext, type ExecutionResult, type Executor } from "./executor";

function stepsFor(ctx: ExecutionContext): string[] {
  const { strategy, canarySteps, version } = ctx.request;
  if (strategy === "canary") return [`Pulling ${version}`, ...canarySteps.map((p) => `Canary at ${p}% traffic, checking error rate`), "Finalising"];
  if (strategy === "blue_green")
    return [`Pulling ${version}`, "Starting green stack", "Running smoke tests on green", "Switching traffic to green", "Draining blue"];
  return [`Pulling ${version}`, "Updating 1/3 instances", "Updating 2/3 instances", "Updating 3/3 instances", "Health checks passed"];
}

export const simulatorExecutor: Executor = {
  kind: "simulator",
  workerDriven: true,
  async start(ctx): Promise<ExecutionResult> {
    const steps = stepsFor(ctx);
    const duration = Math.max(0, num(ctx.config.durationMs, 20_000));
    const failureRate = Math.min(1, Math.max(0, num(ctx.config.failureRate, 0.1)));
    const failAt =
      typeof ctx.config.failAtStep === "number" ? ctx.config.failAtStep : Math.random() < failureRate ? 1 + Math.floor(Math.random() * (steps.length - 1)) : -1;
    await ctx.log(
      `Simulator: ${ctx.request.strategy} deployment of ${ctx.request.service.name} ${ctx.request.previousVersion ?? "(none)"} → ${ctx.request.version} to ${ctx.request.environment.name}`,
    );
    for (let i = 0; i < steps.length; i++) {
      if (!(await ctx.heartbeat(Math.round((i / steps.length) * 100)))) return { outcome: "abandoned", message: "run was taken over or cancelled" };
      await ctx.log(steps[i]);
      await ctx.sleep(duration / steps.length);
      if (i === failAt) {
        await ctx.log(`Step failed: ${steps[i]} (error rate above threshold)`, "error");
        return { outcome: "failed", message: `Simulated failure during "${steps[i]}"` };
      }
    }
    await ctx.heartbeat(100);
    return { outcome: "succeeded", message: `${ctx.request.version} is live in ${ctx.request.environment.name}` };
  },
  // The demo's failover: succeeds unless the target's settings say `failoverFails: true`.
  async failover(ctx) {
    if (ctx.config.failoverFails === true) return { ok: false, message: `Simulator: ${ctx.to.name} refused to take over traffic` };
    return { ok: true, message: `Simulator: traffic moved from ${ctx.from.name} to ${ctx.to.name}` };
  },
};
