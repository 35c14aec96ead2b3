// Change-risk score (0–100) with the reasons an approver reads: environment, tier, size of the version jump,
// the service's recent change failure rate (from Pier's own request history), and timing (off-hours, freezes).
import type { Db } from "../db";
import { freezeStartsSoon, localClock } from "./freeze-windows";
import { versionJump } from "./version";
import { riskLevel, type RiskLevel } from "./risk-scale";

export type RiskReason = { factor: string; points: number; detail: string };
export type RiskAssessment = { score: number; level: RiskLevel; reasons: RiskReason[] };

export type ChangeFailureRate = { finished: number; failed: number; rate: number };

/** failed + rolled_back over finished requests of a service in the last `days` days. */
export async function recentChangeFailureRate(db: Db, serviceId: string, now = new Date(), days = 30): Promise<ChangeFailureRate> {
  const since = new Date(now.getTime() - days * 86400_000);
  const groups = await db.deploymentRequest.groupBy({
    by: ["status"],
    where: { serviceId, finishedAt: { gte: since }, status: { in: ["succeeded", "failed", "rolled_back"] } },
    _count: { _all: true },
  });
  const count = (s: string) => groups.find((g) => g.status === s)?._count._all ?? 0;
  const finished = count("succeeded") + count("failed") + count("rolled_back");
  const failed = count("failed") + count("rolled_back");
  return { finished, failed, rate: finished ? failed / finished : 0 };
}

type RiskInput = {
  environment: { name: string; isProduction: boolean; rank: number };
  tier: number;
  fromVersion: string | null;
  toVersion: string;
  cfr: ChangeFailureRate;
  at: Date;
  freezeWindows: Parameters<typeof freezeStartsSoon>[0];
  breakGlass?: boolean;
  timeZone?: string;
};

export function assessRisk(input: RiskInput): RiskAssessment {
  const reasons: RiskReason[] = [];
  const add = (factor: string, points: number, detail: string) => points > 0 && reasons.push({ factor, points, detail });

  if (input.environment.isProduction) add("environment", 30, `${input.environment.name} is a production environment`);
  else if (input.environment.rank >= 20) add("environment", 10, `${input.environment.name} is a pre-production environment`);

  add("tier", input.tier <= 1 ? 20 : input.tier === 2 ? 10 : 0, `tier ${input.tier} service`);

  const jump = versionJump(input.fromVersion, input.toVersion);
  const jumpPoints: Record<typeof jump, number> = { major: 25, minor: 10, patch: 2, same: 0, downgrade: 15, first: 5, unknown: 8 };
  const jumpText: Record<typeof jump, string> = {
    major: `major version jump ${input.fromVersion} → ${input.toVersion}`,
    minor: `minor version jump ${input.fromVersion} → ${input.toVersion}`,
    patch: `patch release ${input.fromVersion} → ${input.toVersion}`,
    same: "same version as now",
    downgrade: `downgrade ${input.fromVersion} → ${input.toVersion}`,
    first: "first deployment to this environment",
    unknown: `version change ${input.fromVersion} → ${input.toVersion} (size unknown)`,
  };
  add("version", jumpPoints[jump], jumpText[jump]);

  if (input.cfr.finished > 0) {
    add(
      "change failure rate",
      Math.round(input.cfr.rate * 40),
      `${input.cfr.failed} of ${input.cfr.finished} deployments failed or were rolled back in the last 30 days`,
    );
  }

  const { day, minutes } = localClock(input.at, input.timeZone ?? "UTC");
  if (day === 0 || day === 6) add("timing", 10, "weekend deployment");
  else if (minutes < 9 * 60 || minutes >= 17 * 60) add("timing", 10, "outside business hours (09:00–17:00 UTC)");
  else if (day === 5 && minutes >= 14 * 60) add("timing", 5, "Friday afternoon");
  if (freezeStartsSoon(input.freezeWindows, input.at)) add("freeze", 10, "a freeze window starts within 24 hours");
  if (input.breakGlass) add("break-glass", 20, "emergency deployment without approval");

  const score = Math.min(
    100,
    reasons.reduce((s, r) => s + r.points, 0),
  );
  return { score, level: riskLevel(score), reasons };
}
