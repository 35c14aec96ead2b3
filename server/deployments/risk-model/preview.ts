// The request form's preview of the learned risk: P(failed or rolled back) and its three main reasons for the
// request being entered, before it is made — the facts query's draft row (features.ts), scored as if made now,
// against the serving model. Whoever may request the service's deployments may preview them. While the newest
// training run is a fallback (too little history) or none ran yet, it says so instead of a probability.
import type { Db } from "../../db";
import type { DeploymentStrategy } from "@/generated/prisma/enums";
import { assertCanManageService } from "../../identity/access";
import type { SessionUser } from "../../identity/roles";
import { checkTargetNames, loadTarget } from "../requests";
import { requestFacts, type FailureReason } from "./features";
import { latestRiskModel } from "./risk-model-store";
import { estimateFor, servingModel } from "./scoring";

export type RiskPreviewInput = { serviceId: string; environmentId: string; version: string; strategy: DeploymentStrategy; targetNames: string[] };

export type RiskPreview =
  { kind: "estimate"; probability: number; reasons: FailureReason[]; changes: number | null; modelTrainedAt: Date } | { kind: "fallback"; reason: string };

export async function previewFailureEstimate(db: Db, user: SessionUser, input: RiskPreviewInput, now = new Date()): Promise<RiskPreview> {
  const { service, environment, placement } = await loadTarget(db, input.serviceId, input.environmentId);
  assertCanManageService(user, service.teamId, `Only members of the team that owns ${service.name} (or admins) may request its deployments`);
  const targetNames = await checkTargetNames(db, environment.id, input.targetNames);
  const row = await latestRiskModel(db.reader);
  const model = servingModel(row);
  if (!row || !model) return { kind: "fallback", reason: row?.reason ?? "it has not been trained yet, so approvers see the hand-set score only" };
  const [facts] = await requestFacts(db.reader, {
    draft: {
      serviceId: service.id,
      environmentId: environment.id,
      version: input.version.trim(),
      previousVersion: placement.currentVersion,
      strategy: input.strategy,
      targetNames,
      createdAt: now,
    },
  });
  return {
    kind: "estimate",
    ...estimateFor(model, facts),
    changes: facts.changes,
    modelTrainedAt: row.trainedAt,
  };
}
