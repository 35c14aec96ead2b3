// What an approver is told after deciding (a toast): what they did to which deployment, and what happens next.
import { plural } from "@/app/_lib/plural";

type Decided = {
  decision: "approve" | "reject";
  status: string;
  heldBy: "wait_timer" | "freeze_window" | null;
  approvals: number;
  required: number;
};

/** "Approved Checkout API 1.4.2 to prod — 1 more approval needed", "… — deployment queued". */
export function decisionMessage(request: { service: string; version: string; environment: string }, d: Decided): string {
  const what = `${request.service} ${request.version} to ${request.environment}`;
  if (d.decision === "reject") return `Rejected ${what} — the request is closed and will not deploy`;
  const next =
    d.status === "queued"
      ? "deployment queued"
      : d.status === "pending_approval"
        ? `${plural(Math.max(d.required - d.approvals, 1), "more approval")} needed`
        : d.heldBy === "freeze_window"
          ? "fully approved; held by a freeze window until it ends"
          : d.heldBy === "wait_timer"
            ? "fully approved; it starts when the policy's wait timer is over"
            : "fully approved";
  return `Approved ${what} — ${next}`;
}
