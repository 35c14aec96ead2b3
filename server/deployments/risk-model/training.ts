// Training the change-risk model on Pier's own history: the finished requests (succeeded vs failed/rolled back),
// oldest first. The backtest fits on the older 80 % and judges the newest 20 % it has not seen — AUC, Brier score,
// calibration by decile — beside the hand-set score's AUC on the same requests; the model that serves is then
// fitted on all of them. Too little history (fewer than MIN_FINISHED requests or MIN_FAILURES failures) records a
// fallback run instead, and approvers see the hand-set score only. Runs in the workers (a leased loop that
// retrains when the newest run is older than RETRAIN_AFTER_MS) and on demand by an admin.
import type { Db } from "../../db";
import { startPeriodic } from "../../platform/periodic";
import { assessRisk } from "../risk-score";
import { auc, brier, calibration } from "./backtest-metrics";
import { encode, FEATURE_NAMES, finishedRequestFacts, isFailure, type RequestFacts } from "./features";
import { fitLogistic, predict } from "./logistic-regression";
import { appendRiskModel, latestRiskModel } from "./risk-model-store";
import { rescorePending } from "./scoring";

export const MIN_FINISHED = 200;
export const MIN_FAILURES = 20;
/** Penalty on the weights: enough to keep rare indicators (weekend, downgrade) from running away. */
const L2 = 1;
const TEST_SHARE = 0.2;

/** The hand-set score (risk-score.ts) of a past request from the same facts (freeze windows then are not kept). */
function handSetScore(f: RequestFacts): number {
  const [finished, failed] = f.month;
  return assessRisk({
    environment: { name: f.environmentName, isProduction: f.isProduction, rank: f.rank },
    tier: f.tier,
    fromVersion: f.previousVersion,
    toVersion: f.version,
    cfr: { finished, failed, rate: finished ? failed / finished : 0 },
    at: f.createdAt,
    freezeWindows: [],
  }).score;
}

export async function trainRiskModel(db: Db, opts: { trainedById?: string | null; now?: Date } = {}) {
  const facts = await finishedRequestFacts(db);
  const labels = facts.map((f): number => (isFailure(f.status) ? 1 : 0));
  const failures = labels.reduce((s, y) => s + y, 0);
  const base = { finished: facts.length, failures, trainedById: opts.trainedById ?? null, trainedAt: opts.now ?? new Date() };
  if (facts.length < MIN_FINISHED || failures < MIN_FAILURES) {
    const row = await appendRiskModel(db.kysely, {
      ...base,
      kind: "fallback",
      reason: `${facts.length} finished requests with ${failures} failures: the model needs at least ${MIN_FINISHED} and ${MIN_FAILURES}, so approvers see the hand-set score only`,
    });
    await rescorePending(db.kysely);
    return row;
  }
  const X = facts.map(encode);
  const cut = Math.round(facts.length * (1 - TEST_SHARE));
  const backtestModel = fitLogistic(X.slice(0, cut), labels.slice(0, cut), { l2: L2 });
  const testLabels = labels.slice(cut);
  const predicted = X.slice(cut).map((x) => predict(backtestModel, x));
  const serving = fitLogistic(X, labels, { l2: L2 });
  const row = await appendRiskModel(db.kysely, {
    ...base,
    kind: "logistic",
    coefficients: { intercept: serving.intercept, weights: Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, serving.weights[j]])) },
    trainCount: cut,
    testCount: facts.length - cut,
    auc: auc(predicted, testLabels),
    brier: brier(predicted, testLabels),
    baselineAuc: auc(facts.slice(cut).map(handSetScore), testLabels),
    calibration: calibration(predicted, testLabels),
  });
  await rescorePending(db.kysely);
  return row;
}

/** Retrains when the newest run is older than `maxAgeMs` (or there is none): the periodic loop's work. */
export async function retrainIfStale(db: Db, maxAgeMs: number, now = new Date()) {
  const latest = await latestRiskModel(db.kysely);
  if (latest && now.getTime() - latest.trainedAt.getTime() < maxAgeMs) return null;
  return trainRiskModel(db, { now });
}

const CHECK_INTERVAL_MS = 60 * 60_000;
const RETRAIN_AFTER_MS = 6 * 60 * 60_000;

/** The workers' loop: hourly, under a lease so N worker processes train once; retrains every 6 hours. */
export function startRiskModelTraining(db: Db, intervalMs = CHECK_INTERVAL_MS) {
  return startPeriodic("risk-model-training", intervalMs, () => retrainIfStale(db, RETRAIN_AFTER_MS), { lease: db });
}
