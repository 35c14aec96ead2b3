// Badge colours of release and member states (shared by the list and the release page).
import type { BadgeColor } from "@/app/_components/ui";

export function releaseColor(status: string): BadgeColor {
  if (status === "succeeded") return "green";
  if (status === "failed" || status === "rolled_back" || status === "rejected") return "red";
  if (status === "held" || status === "rolling_back" || status === "aborted" || status === "cancelled") return "yellow";
  if (status === "rolling_out" || status === "deploying" || status === "queued") return "blue";
  return "gray";
}
