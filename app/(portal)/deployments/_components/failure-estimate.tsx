// The learned risk model's estimate beside the hand-set score: "P(failure) ≈ 12 %" and its main reasons, for the
// approvals inbox and the request page. Nothing is shown while the model falls back to the hand-set score.
import { Badge } from "@/app/_components/ui";

type Reason = { feature: string; logOdds: number; detail: string };

export const failurePercent = (p: number) => (p < 0.01 ? "< 1 %" : `${Math.round(p * 100)} %`);

const TITLE = "Probability that this request fails or is rolled back, learned from Pier's finished requests (see Admin → Risk model)";

export function FailureBadge({ probability }: { probability: number }) {
  return (
    <span data-testid="failure-probability">
      <Badge color={probability >= 0.3 ? "red" : probability >= 0.1 ? "yellow" : "green"} title={TITLE}>
        P(failure) ≈ {failurePercent(probability)}
      </Badge>
    </span>
  );
}

/** The main reasons, each with its effect on the log-odds (+ raises, − lowers). */
export function FailureReasons({ reasons, className }: { reasons: Reason[]; className?: string }) {
  if (reasons.length === 0) return null;
  return (
    <ul className={className} aria-label="Why this probability">
      {reasons.map((r) => (
        <li key={r.feature}>
          {r.detail} ({r.logOdds > 0 ? "+" : "−"}
          {Math.abs(r.logOdds).toFixed(2)} log-odds)
        </li>
      ))}
    </ul>
  );
}
