// Deployment status and risk badges, shared by the deployments, approvals and audit pages.
import { Badge, type BadgeColor } from "@/app/_components/ui";
import { riskLevel, RISK_SCALE_TEXT } from "@/server/deployments/risk-scale";

const STATUS_COLOR: Record<string, BadgeColor> = {
  draft: "gray",
  pending_approval: "yellow",
  approved: "blue",
  rejected: "red",
  expired: "gray",
  cancelled: "gray",
  queued: "blue",
  deploying: "purple",
  succeeded: "green",
  failed: "red",
  rolled_back: "yellow",
};

export const statusLabel = (s: string) => s.replace(/_/g, " ");

export function StatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="deployment-status">
      <Badge color={STATUS_COLOR[status] ?? "gray"}>{statusLabel(status)}</Badge>
    </span>
  );
}

export function RiskBadge({ score }: { score: number | null }) {
  if (score === null) return <Badge>risk n/a</Badge>;
  const level = riskLevel(score);
  const color: BadgeColor = level === "high" ? "red" : level === "medium" ? "yellow" : "green";
  return (
    <Badge color={color} title={RISK_SCALE_TEXT}>
      risk {score}/100 · {level}
    </Badge>
  );
}
