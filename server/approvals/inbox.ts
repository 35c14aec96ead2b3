// The approver's inbox: every request waiting for approval, split into "yours to decide" and "waiting on others",
// each with what changes (live version → requested), policy progress, recent failures and the risk score.
// One SQL round trip (the page is polled by every approver, so it must stay cheap under load). Indexes on
// DeploymentRequest serve it: (status, createdAt, id) for the page, (serviceId, status, finishedAt) so each
// per-service failure count is a short index range instead of a bitmap AND over all failed requests.
import type { Db } from "../db";
import type { SessionUser } from "../identity/roles";
import type { RiskReason } from "../deployments/risk-score";
import { approverEligibility, describeApprovers, type PolicySnapshot } from "./policy";

type Row = {
  id: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  summary: string;
  ticketKey: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  requesterId: string;
  requesterName: string;
  approvalsRequired: number;
  policySnapshot: PolicySnapshot;
  riskScore: number | null;
  riskReasons: RiskReason[];
  serviceId: string;
  serviceSlug: string;
  serviceName: string;
  serviceTier: number;
  teamId: string;
  environmentId: string;
  environmentName: string;
  isProduction: boolean;
  currentVersion: string | null;
  recentFailures: number;
  approvals: { approverId: string; name: string; decision: string }[] | null;
};

export async function approvalInbox(db: Db, user: SessionUser, now = new Date(), limit = 100) {
  const since = new Date(now.getTime() - 30 * 86400_000);
  const rows = await db.$queryRaw<Row[]>`
    SELECT r.id, r.version, r."previousVersion", r.strategy::text AS strategy, r.summary, r."ticketKey", r."createdAt", r."expiresAt",
           r."requesterId", u.name AS "requesterName", r."approvalsRequired", r."policySnapshot", r."riskScore", r."riskReasons",
           s.id AS "serviceId", s.slug AS "serviceSlug", s.name AS "serviceName", s.tier AS "serviceTier", s."teamId",
           e.id AS "environmentId", e.name AS "environmentName", e."isProduction",
           se."currentVersion",
           (SELECT count(*)::int FROM "DeploymentRequest" f
             WHERE f."serviceId" = r."serviceId" AND f.status IN ('failed', 'rolled_back') AND f."finishedAt" >= ${since}) AS "recentFailures",
           (SELECT json_agg(json_build_object('approverId', a."approverId", 'name', au.name, 'decision', a.decision) ORDER BY a."createdAt")
              FROM "Approval" a JOIN "User" au ON au.id = a."approverId" WHERE a."requestId" = r.id) AS approvals
      FROM "DeploymentRequest" r
      JOIN "Service" s ON s.id = r."serviceId"
      JOIN "Environment" e ON e.id = r."environmentId"
      JOIN "User" u ON u.id = r."requesterId"
      LEFT JOIN "ServiceEnvironment" se ON se."serviceId" = r."serviceId" AND se."environmentId" = r."environmentId"
     WHERE r.status = 'pending_approval'
     ORDER BY r."createdAt" ASC, r.id ASC
     LIMIT ${limit}`;

  const items = rows.map((p) => {
    const policy = p.policySnapshot;
    const eligibility = approverEligibility(user, policy, { requesterId: p.requesterId, owningTeamId: p.teamId });
    const approvals = p.approvals ?? [];
    const mine = approvals.find((a) => a.approverId === user.id);
    return {
      id: p.id,
      service: { id: p.serviceId, slug: p.serviceSlug, name: p.serviceName, tier: p.serviceTier, teamId: p.teamId },
      environment: { id: p.environmentId, name: p.environmentName, isProduction: p.isProduction },
      requester: { id: p.requesterId, name: p.requesterName },
      version: p.version,
      currentVersion: p.currentVersion ?? p.previousVersion,
      strategy: p.strategy,
      summary: p.summary,
      ticketKey: p.ticketKey,
      createdAt: p.createdAt,
      expiresAt: p.expiresAt,
      progress: { approvals: approvals.filter((a) => a.decision === "approve").length, required: p.approvalsRequired },
      approvers: approvals.map((a) => ({ name: a.name, decision: a.decision })),
      whoMayApprove: describeApprovers(policy),
      recentFailures: p.recentFailures,
      risk: { score: p.riskScore ?? 0, reasons: p.riskReasons ?? [] },
      canDecide: eligibility.ok && !mine,
      whyNot: mine ? `You already ${mine.decision === "approve" ? "approved" : "rejected"}` : eligibility.ok ? null : eligibility.reason,
    };
  });
  return { mine: items.filter((i) => i.canDecide), others: items.filter((i) => !i.canDecide) };
}

