// riskModelRouter (as `riskModel`): the learned change-risk model.
//   current   approvers and admins (the people who read its probability): the serving run and its backtest
//   retrain   admins only: trains now on the history as it is (audited)
//   preview   whoever may request the service's deployments (its team, admins): P(failure) of the request being
//             entered on the form, with its main reasons (preview.ts checks it; others get FORBIDDEN)
import { transaction } from "../../db";
import { recordAudit } from "../../audit/audit-log";
import { actorOf } from "../../identity/access";
import { authedProcedure, roleProcedure, router } from "../../trpc";
import { FEATURE_NAMES } from "./features";
import { MIN_FAILURES, MIN_FINISHED, trainRiskModel } from "./training";
import { latestRiskModel, type RiskModelRow } from "./risk-model-store";
import { previewFailureEstimate } from "./preview";
import { requestInput } from "../request-input";

// The request form's own fields and rules: what it previews is what it would send.
const previewInput = requestInput.pick({ serviceId: true, environmentId: true, version: true, strategy: true, targetNames: true });

const summary = (row: RiskModelRow | null) => ({ model: row, features: FEATURE_NAMES, minimum: { finished: MIN_FINISHED, failures: MIN_FAILURES } });

export const riskModelRouter = router({
  current: roleProcedure("approver").query(async ({ ctx }) => summary(await latestRiskModel(ctx.db.kysely))),
  retrain: roleProcedure("admin").mutation(async ({ ctx }) => {
    const row = await trainRiskModel(ctx.db, { trainedById: ctx.user.id });
    await transaction(ctx.db, async (tx) =>
      recordAudit(tx, {
        actor: actorOf(ctx.user),
        action: "risk_model.trained",
        subjectType: "risk_model",
        subjectId: row.id,
        after: { kind: row.kind, finished: row.finished, failures: row.failures, auc: row.auc, brier: row.brier, baselineAuc: row.baselineAuc },
      }),
    );
    return summary(row);
  }),
  preview: authedProcedure
    .input(previewInput)
    .query(({ ctx, input }) => previewFailureEstimate(ctx.db, ctx.user, { ...input, targetNames: input.targetNames ?? [] })),
});
