// A request's P(failed or rolled_back) under the serving model, with its three main reasons, stored on the request
// (when it is requested, and for every pending request after a retraining). While the newest run is a fallback
// (too little history) the estimate is cleared: approvers see the hand-set score only.
import type { DB, Kysely } from "../../db";
import { setFailureEstimate } from "../request-store";
import { encode, FEATURE_NAMES, mainReasons, requestFacts, type RequestFacts } from "./features";
import { predict, type LogisticModel } from "./logistic-regression";
import { latestRiskModel, type RiskModelRow, type StoredCoefficients } from "./risk-model-store";

/** The stored coefficients as a model over today's features (a feature the run did not know weighs 0). */
export function servingModel(row: RiskModelRow | null): LogisticModel | null {
  if (!row || row.kind !== "logistic") return null;
  const c = row.coefficients as StoredCoefficients;
  return { intercept: c.intercept, weights: FEATURE_NAMES.map((name) => c.weights[name] ?? 0) };
}

/** P(failed or rolled back) of a request's facts under `model`, with its main reasons (stored, or previewed). */
export function estimateFor(model: LogisticModel, facts: RequestFacts) {
  const x = encode(facts);
  return { probability: predict(model, x), reasons: mainReasons(facts, x, model.weights) };
}

/** Scores the given requests with the newest model and stores the estimates; returns how many got one. */
export async function scoreRequests(k: Kysely<DB>, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const model = servingModel(await latestRiskModel(k));
  if (!model) {
    for (const id of ids) await setFailureEstimate(k, id, { probability: null, reasons: [] });
    return 0;
  }
  const facts = await requestFacts(k, { ids });
  for (const f of facts) await setFailureEstimate(k, f.id, estimateFor(model, f));
  return facts.length;
}

/** Every pending request again, after a retraining. */
export async function rescorePending(k: Kysely<DB>): Promise<number> {
  const pending = await k.selectFrom("DeploymentRequest").select("id").where("status", "=", "pending_approval").execute();
  return scoreRequests(
    k,
    pending.map((p) => p.id),
  );
}
