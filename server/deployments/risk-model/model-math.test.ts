// The risk model's arithmetic against solutions known by hand: the logistic fit lands on the maximum-likelihood
// estimate (closed form for one binary feature; zero gradient in general), recovers the coefficients that made a
// synthetic dataset, and the backtest metrics match values worked out on small sets.
import { describe, expect, it } from "vitest";
import { rng } from "../../../prisma/seed/random";
import { fitLogistic, gradient, logOdds, predict, sigmoid } from "./logistic-regression";
import { auc, brier, calibration } from "./backtest-metrics";

describe("fitLogistic", () => {
  it("finds the closed-form MLE for one binary feature: logit of each group's rate", async () => {
    // x = 0: 1 failure in 4 → p = 1/4; x = 1: 3 in 4 → p = 3/4. MLE: b = ln(1/3), w = ln 3 − ln(1/3) = 2 ln 3.
    const X = [[0], [0], [0], [0], [1], [1], [1], [1]];
    const y = [1, 0, 0, 0, 1, 1, 1, 0];
    const m = fitLogistic(X, y, { l2: 0 });
    expect(m.intercept).toBeCloseTo(Math.log(1 / 3), 8);
    expect(m.weights[0]).toBeCloseTo(2 * Math.log(3), 8);
    expect(predict(m, [1])).toBeCloseTo(0.75, 8);
    for (const g of gradient(m, X, y)) expect(Math.abs(g)).toBeLessThan(1e-9);
  });

  it("with an L2 penalty stops where the penalised gradient is zero, with smaller weights", async () => {
    const X = [
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
      [1, 1],
      [0, 1],
      [1, 0],
      [0, 0],
      [1, 1],
    ];
    const y = [0, 1, 1, 0, 1, 1, 0, 0, 1];
    const free = fitLogistic(X, y, { l2: 0 });
    const penalised = fitLogistic(X, y, { l2: 2 });
    for (const g of gradient(penalised, X, y, 2)) expect(Math.abs(g)).toBeLessThan(1e-9);
    expect(Math.hypot(...penalised.weights)).toBeLessThan(Math.hypot(...free.weights));
  });

  it("stays finite on separable data (the penalty bounds it) and leaves a constant-zero feature at 0", async () => {
    const X = [
      [0, 0],
      [0, 0],
      [1, 0],
      [1, 0],
    ];
    const y = [0, 0, 1, 1];
    const m = fitLogistic(X, y, { l2: 1 });
    expect(Number.isFinite(m.weights[0])).toBe(true);
    expect(m.weights[0]).toBeGreaterThan(0.5);
    for (const g of gradient(m, X, y, 1)) expect(Math.abs(g)).toBeLessThan(1e-9);
    expect(m.weights[1]).toBe(0);
  });

  it("recovers the coefficients that generated a large synthetic dataset", async () => {
    const truth = { intercept: -2, weights: [1.2, -0.8, 2.5] };
    const random = rng(42);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = [random() < 0.4 ? 1 : 0, random() < 0.5 ? 1 : 0, random()];
      X.push(x);
      y.push(random() < sigmoid(logOdds(truth, x)) ? 1 : 0);
    }
    const m = fitLogistic(X, y, { l2: 0.01 });
    expect(m.intercept).toBeCloseTo(truth.intercept, 0);
    m.weights.forEach((w, j) => expect(Math.abs(w - truth.weights[j])).toBeLessThan(0.15));
  });

  it("rejects rows and labels of different lengths", async () => {
    expect(() => fitLogistic([[1]], [1, 0])).toThrow(/as many labels as rows/);
  });
});

describe("backtest metrics", () => {
  it("AUC by ranks: 3 of 4 failed/succeeded pairs ordered right is 0.75; ties count half; one class only is null", async () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.5, 0.5, 0.9], [0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.2, 0.9], [0, 1])).toBe(1);
    expect(auc([0.2, 0.9], [1, 1])).toBeNull();
  });

  it("Brier score is the mean squared error of the probability", async () => {
    expect(brier([0.1, 0.9, 0.8], [0, 1, 0])).toBeCloseTo((0.01 + 0.01 + 0.64) / 3, 12);
    expect(brier([], [])).toBeNull();
  });

  it("calibration groups by predicted probability into equal bins", async () => {
    const bins = calibration([0.9, 0.1, 0.2, 0.7], [1, 0, 1, 1], 2);
    expect(bins).toEqual([
      { bin: 1, count: 2, predicted: expect.closeTo(0.15, 12), observed: 0.5 },
      { bin: 2, count: 2, predicted: expect.closeTo(0.8, 12), observed: 1 },
    ]);
    expect(calibration([0.3], [0], 10)).toEqual([{ bin: 10, count: 1, predicted: 0.3, observed: 0 }]);
  });
});
