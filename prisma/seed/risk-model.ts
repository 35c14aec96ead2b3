// The change-risk model trained on the seeded history, so a newcomer sees P(failure) in the approvals inbox and the
// backtest under Admin → Risk model on first start (the workers would train it within the hour anyway). Skipped
// once a model exists.
import type { Db } from "../../server/db";
import { latestRiskModel } from "../../server/deployments/risk-model/risk-model-store";
import { trainRiskModel } from "../../server/deployments/risk-model/training";

export async function seedRiskModel(db: Db) {
  if (await latestRiskModel(db.kysely)) return { skipped: "already trained" };
  const m = await trainRiskModel(db);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
  return { kind: m.kind, finished: m.finished, failures: m.failures, auc: round(m.auc), brier: round(m.brier), handSetAuc: round(m.baselineAuc) };
}
