// Executors by the name a ServiceEnvironment chooses (ServiceEnvironment.executor).
import { argoCdExecutor } from "./argocd";
import type { Executor } from "./executor";
import { githubActionsExecutor } from "./github-actions";
import { simulatorExecutor } from "./simulator";
import { webhookExecutor } from "./webhook";

export const EXECUTORS: Record<string, Executor> = {
  simulator: simulatorExecutor,
  webhook: webhookExecutor,
  github_actions: githubActionsExecutor,
  argocd: argoCdExecutor,
};
