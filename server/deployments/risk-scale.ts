// The risk score's scale, in one place for the score (risk-score.ts) and every badge that shows it: 0–100 points,
// low below 30, medium from 30, high from 60.
export type RiskLevel = "low" | "medium" | "high";

const RISK_SCALE = { max: 100, medium: 30, high: 60 } as const;

export function riskLevel(score: number): RiskLevel {
  return score >= RISK_SCALE.high ? "high" : score >= RISK_SCALE.medium ? "medium" : "low";
}

/** "0–100: low < 30 ≤ medium < 60 ≤ high" — how the badge explains the scale. */
export const RISK_SCALE_TEXT = `Change-risk score 0–${RISK_SCALE.max}: low below ${RISK_SCALE.medium}, medium ${RISK_SCALE.medium}–${RISK_SCALE.high - 1}, high ${RISK_SCALE.high} and above`;
