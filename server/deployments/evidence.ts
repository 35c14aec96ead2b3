// Compliance evidence: the change record of one deployment or a date range — who requested, who approved when,
// the policy in force, the promotion gate's verdict, break-glass reason, outcome — with the audit-chain verification
// result, as JSON or CSV.
import type { Db, Prisma } from "../db";
import { badRequest, notFound } from "../errors";
import { verifyAuditChain, type AuditVerification } from "../audit/audit-log";
import type { PolicySnapshot } from "./approval-policy";
import type { PromotionRecord } from "./promotion";

export type EvidenceScope = { requestId: string } | { from: Date; to: Date };

type ChangeRecord = {
  requestId: string;
  service: string;
  environment: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  ticketKey: string | null;
  summary: string;
  requestedBy: string;
  requestedAt: string;
  approvals: { approver: string; decision: string; comment: string; at: string }[];
  approvalsRequired: number;
  policy: PolicySnapshot;
  /** The promotion rule's (or gate's) verdict when the request was made; null for requests made before it was recorded. */
  promotionGate: PromotionRecord | null;
  breakGlass: boolean;
  breakGlassReason: string | null;
  reviewedAfterAt: string | null;
  riskScore: number | null;
  outcome: string;
  startedAt: string | null;
  finishedAt: string | null;
  rollbackOf: string | null;
  auditTrail: { seq: string; at: string; actor: string; action: string; hash: string }[];
};

export type Evidence = {
  generatedAt: string;
  scope: Record<string, string>;
  auditChain: AuditVerification & { brokenAtSeq?: unknown };
  records: ChangeRecord[];
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function buildEvidence(db: Db, scope: EvidenceScope): Promise<Evidence> {
  let where: Prisma.DeploymentRequestWhereInput;
  if ("requestId" in scope) where = { id: scope.requestId };
  else {
    if (scope.to <= scope.from) throw badRequest("The end of the range must be after its start", "to");
    if (scope.to.getTime() - scope.from.getTime() > 366 * 86400_000) throw badRequest("Export at most one year at a time", "to");
    where = { createdAt: { gte: scope.from, lt: scope.to } };
  }
  const rows = await db.deploymentRequest.findMany({
    where,
    orderBy: { createdAt: "asc" },
    take: 10_000,
    include: {
      service: { select: { slug: true } },
      environment: { select: { name: true } },
      requester: { select: { name: true, email: true } },
      approvals: { orderBy: { createdAt: "asc" }, include: { approver: { select: { name: true, email: true } } } },
    },
  });
  if ("requestId" in scope && rows.length === 0) throw notFound("Deployment request");
  const audit = await db.auditEvent.findMany({
    where: { subjectType: "deployment_request", subjectId: { in: rows.map((r) => r.id) } },
    orderBy: { seq: "asc" },
    select: { seq: true, createdAt: true, actorLabel: true, action: true, hash: true, subjectId: true, after: true },
  });
  // The verdict recorded with each request's creation (requests.ts), read from the hash-chained audit record.
  const promotionOf = (requestId: string) => {
    const after = audit.find((a) => a.subjectId === requestId && a.action === "deployment.created")?.after as { promotion?: PromotionRecord } | null;
    return after?.promotion ?? null;
  };
  const chain = await verifyAuditChain(db);
  return {
    generatedAt: new Date().toISOString(),
    scope: "requestId" in scope ? { requestId: scope.requestId } : { from: scope.from.toISOString(), to: scope.to.toISOString() },
    auditChain: chain.ok ? chain : { ...chain, brokenAtSeq: chain.brokenAtSeq.toString() as unknown as bigint },
    records: rows.map((r) => ({
      requestId: r.id,
      service: r.service.slug,
      environment: r.environment.name,
      version: r.version,
      previousVersion: r.previousVersion,
      strategy: r.strategy,
      ticketKey: r.ticketKey,
      summary: r.summary,
      requestedBy: `${r.requester.name} <${r.requester.email}>`,
      requestedAt: r.createdAt.toISOString(),
      approvals: r.approvals.map((a) => ({
        approver: `${a.approver.name} <${a.approver.email}>`,
        decision: a.decision,
        comment: a.comment,
        at: a.createdAt.toISOString(),
      })),
      approvalsRequired: r.approvalsRequired,
      policy: r.policySnapshot as unknown as PolicySnapshot,
      promotionGate: promotionOf(r.id),
      breakGlass: r.breakGlass,
      breakGlassReason: r.breakGlassReason,
      reviewedAfterAt: iso(r.reviewedAfterAt),
      riskScore: r.riskScore,
      outcome: r.status,
      startedAt: iso(r.startedAt),
      finishedAt: iso(r.finishedAt),
      rollbackOf: r.rollbackOfId,
      auditTrail: audit
        .filter((a) => a.subjectId === r.id)
        .map((a) => ({ seq: a.seq.toString(), at: a.createdAt.toISOString(), actor: a.actorLabel, action: a.action, hash: a.hash })),
    })),
  };
}

const CSV_COLUMNS = [
  "request_id",
  "service",
  "environment",
  "version",
  "previous_version",
  "strategy",
  "ticket",
  "requested_by",
  "requested_at",
  "approvals",
  "approvals_required",
  "policy",
  "break_glass",
  "break_glass_reason",
  "reviewed_after_at",
  "risk_score",
  "outcome",
  "started_at",
  "finished_at",
  "rollback_of",
  "promotion_gate",
  "audit_chain_ok",
  "audit_records_checked",
] as const;

/** RFC 4180 quoting; a leading =,+,-,@ is prefixed with ' so spreadsheets do not run it as a formula. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** "passed: …", "bypassed by break-glass: …", with the gate's targets and evidence; "not recorded" for older requests. */
function promotionCell(p: PromotionRecord | null): string {
  if (!p) return "not recorded";
  const verdict = p.bypassed ? "bypassed by break-glass" : p.ok ? "passed" : "not passed";
  const gate = p.gate
    ? ` [targets ${p.gate.targets.passed}/${p.gate.targets.required} of ${p.gate.targets.total}${p.gate.evidence.map((x) => `; ${x.kind} ${x.ok ? "present" : "missing"}`).join("")}]`
    : "";
  return `${verdict}: ${p.reason}${gate}`;
}

function evidenceToCsv(e: Evidence): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of e.records) {
    const approvals = r.approvals.map((a) => `${a.approver} ${a.decision} ${a.at}${a.comment ? ` "${a.comment}"` : ""}`).join("; ");
    const policy = `${r.policy.name} (${r.policy.requiredApprovals} approval${r.policy.requiredApprovals === 1 ? "" : "s"})`;
    lines.push(
      [
        r.requestId,
        r.service,
        r.environment,
        r.version,
        r.previousVersion,
        r.strategy,
        r.ticketKey,
        r.requestedBy,
        r.requestedAt,
        approvals,
        r.approvalsRequired,
        policy,
        r.breakGlass,
        r.breakGlassReason,
        r.reviewedAfterAt,
        r.riskScore,
        r.outcome,
        r.startedAt,
        r.finishedAt,
        r.rollbackOf,
        promotionCell(r.promotionGate),
        e.auditChain.ok,
        e.auditChain.checked,
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}

export async function exportEvidence(db: Db, scope: EvidenceScope, format: "json" | "csv") {
  const evidence = await buildEvidence(db, scope);
  const stamp = new Date().toISOString().slice(0, 10);
  const name =
    "requestId" in scope ? `pier-evidence-${scope.requestId}` : `pier-evidence-${scope.from.toISOString().slice(0, 10)}-${scope.to.toISOString().slice(0, 10)}`;
  return format === "csv"
    ? {
        filename: `${name}-${stamp}.csv`,
        contentType: "text/csv",
        body: evidenceToCsv(evidence),
        auditChainOk: evidence.auditChain.ok,
        count: evidence.records.length,
      }
    : {
        filename: `${name}-${stamp}.json`,
        contentType: "application/json",
        body: JSON.stringify(evidence, null, 2),
        auditChainOk: evidence.auditChain.ok,
        count: evidence.records.length,
      };
}
