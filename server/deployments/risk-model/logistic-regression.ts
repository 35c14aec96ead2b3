// L2-regularised logistic regression, fitted by Newton's method (iteratively reweighted least squares): with the
// dozen features of the risk model the Hessian is tiny, and Newton lands on the penalised maximum-likelihood
// estimate in a handful of steps where plain gradient descent would need a learning rate and thousands of passes.
// Pure: no I/O, so the tests check it against known solutions (the gradient at the fit is ~0).

export type LogisticModel = { intercept: number; weights: number[] };

export type FitOptions = {
  /** L2 penalty on the weights (not the intercept): λ/2·‖w‖² added to the negative log-likelihood. */
  l2?: number;
  maxIterations?: number;
  /** Stop when no coefficient moves by more than this. */
  tolerance?: number;
};

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The model's log-odds for one row of features. */
export function logOdds(model: LogisticModel, x: readonly number[]): number {
  let z = model.intercept;
  for (let j = 0; j < model.weights.length; j++) z += model.weights[j] * x[j];
  return z;
}

export const predict = (model: LogisticModel, x: readonly number[]) => sigmoid(logOdds(model, x));

/**
 * Gradient of the penalised negative log-likelihood at `model` (intercept first): what a fit drives to zero.
 * Exported for the tests, which verify a fit by it.
 */
export function gradient(model: LogisticModel, X: readonly (readonly number[])[], y: readonly number[], l2 = 0): number[] {
  const g = new Array<number>(model.weights.length + 1).fill(0);
  for (let i = 0; i < X.length; i++) {
    const r = predict(model, X[i]) - y[i];
    g[0] += r;
    for (let j = 0; j < model.weights.length; j++) g[j + 1] += r * X[i][j];
  }
  for (let j = 0; j < model.weights.length; j++) g[j + 1] += l2 * model.weights[j];
  return g;
}

/** Fits P(y = 1 | x) = σ(b + w·x) to rows X (equal lengths) and labels y (0 or 1). */
export function fitLogistic(X: readonly (readonly number[])[], y: readonly number[], opts: FitOptions = {}): LogisticModel {
  const { l2 = 1, maxIterations = 50, tolerance = 1e-9 } = opts;
  if (X.length === 0 || X.length !== y.length) throw new Error("fitLogistic needs as many labels as rows, and at least one");
  const d = X[0].length;
  // β = [b, w…]; each step solves H·Δ = g with H = Xᵀ W X + λ I (intercept unpenalised), g the gradient.
  let beta = new Array<number>(d + 1).fill(0);
  const asModel = (b: number[]): LogisticModel => ({ intercept: b[0], weights: b.slice(1) });
  for (let iter = 0; iter < maxIterations; iter++) {
    const model = asModel(beta);
    const g = gradient(model, X, y, l2);
    const H = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < X.length; i++) {
      const p = predict(model, X[i]);
      const w = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a <= d; a++) {
        const xa = a === 0 ? 1 : X[i][a - 1];
        if (xa === 0) continue;
        for (let b = a; b <= d; b++) H[a][b] += w * xa * (b === 0 ? 1 : X[i][b - 1]);
      }
    }
    for (let a = 0; a <= d; a++) {
      if (a > 0) H[a][a] += l2;
      for (let b = 0; b < a; b++) H[a][b] = H[b][a];
    }
    const step = solve(H, g);
    beta = beta.map((v, j) => v - step[j]);
    if (Math.max(...step.map(Math.abs)) < tolerance) break;
  }
  return asModel(beta);
}

/** Solves A·x = b by Gaussian elimination with partial pivoting (A is small and, here, positive definite). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[pivot][c])) pivot = r;
    [M[c], M[pivot]] = [M[pivot], M[c]];
    // A feature that never varies (all zero, penalty 0) leaves a zero pivot: its coefficient stays where it is.
    if (Math.abs(M[c][c]) < 1e-12) continue;
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      if (f !== 0) for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    if (Math.abs(M[r][r]) < 1e-12) continue;
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}
