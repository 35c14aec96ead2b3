// How well a risk estimate ranked and calibrated the outcomes it had not seen: AUC (the chance a failed request got
// a higher score than a succeeded one; ties count half), Brier score (mean squared error of the probability) and the
// calibration table (predicted vs observed failure rate by decile of the predicted probability). Pure.

export type CalibrationBin = { bin: number; count: number; predicted: number; observed: number };

/** Area under the ROC curve by the rank-sum (Mann–Whitney) formula, with tied scores given their average rank. */
export function auc(scores: readonly number[], labels: readonly number[]): number | null {
  const order = scores.map((s, i) => ({ s, y: labels[i] })).sort((a, b) => a.s - b.s);
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].s === order[i].s) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (order[k].y === 1) rankSum += averageRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function brier(probabilities: readonly number[], labels: readonly number[]): number | null {
  if (probabilities.length === 0) return null;
  return probabilities.reduce((s, p, i) => s + (p - labels[i]) ** 2, 0) / probabilities.length;
}

/** Sorted by predicted probability and cut into `bins` groups of (nearly) equal size; empty groups are left out. */
export function calibration(probabilities: readonly number[], labels: readonly number[], bins = 10): CalibrationBin[] {
  const sorted = probabilities.map((p, i) => ({ p, y: labels[i] })).sort((a, b) => a.p - b.p);
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const slice = sorted.slice(Math.floor((b * sorted.length) / bins), Math.floor(((b + 1) * sorted.length) / bins));
    if (slice.length === 0) continue;
    out.push({
      bin: b + 1,
      count: slice.length,
      predicted: slice.reduce((s, r) => s + r.p, 0) / slice.length,
      observed: slice.reduce((s, r) => s + r.y, 0) / slice.length,
    });
  }
  return out;
}
