// Creating and cancelling deployment requests: input rules, promotion rule, freeze windows, policy snapshot,
// risk score, and the first transitions (draft → pending_approval, or auto-approval when the policy needs none).
import type { DeploymentStrategy } from "@/generated/prisma/enums";
import { transaction, type Db } from "../db";
import { recordAudit, systemActor } from "../audit/audit-log";
import { badRequest, DomainError, forbidden, notFound } from "../errors";
import { actorOf, canBreakGlass, canCancelRequest, canManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { emitDeploymentEvent } from "./deployment-events";
import { activeFreeze, describeFreezeWindow } from "./freeze-windows";
import { eligibleApproverIds, resolvePolicy, type PolicySnapshot } from "./approval-policy";
import { checkPromotion, promotionRecord, type PromotionCheck } from "./promotion";
import { assessRisk, recentChangeFailureRate, type RiskAssessment } from "./risk-score";
import { scoreRequests } from "./risk-model/scoring";
import { markApproved } from "./scheduling";
import { insertRequest, markReviewed } from "./request-store";
import { CANCELLABLE_STATUSES, transition } from "./state-machine";
import { makeNextDue } from "./target-queue";
import { parseVersion, VERSION_HINT } from "./version";

export type NewRequestInput = {
  serviceId: string;
  environmentId: string;
  version: string;
  strategy: DeploymentStrategy;
  canarySteps?: number[];
  summary: string;
  ticketKey?: string | null;
  scheduledFrom?: Date | null;
  scheduledUntil?: Date | null;
  /** Set for break-glass: the mandatory reason. */
  breakGlassReason?: string | null;
  /** Fleet environments: only these targets (by name); none: all of them. */
  targetNames?: string[];
};

const TICKET_KEY = /^[A-Z][A-Z0-9]{1,9}-\d{1,7}$/;

function validateInput(input: NewRequestInput, now: Date) {
  if (!parseVersion(input.version)) throw badRequest(`"${input.version}" is not a version Pier understands. ${VERSION_HINT}`, "version");
  if (input.ticketKey && !TICKET_KEY.test(input.ticketKey)) throw badRequest("Ticket keys look like PAY-123", "ticketKey");
  if (input.strategy === "canary") {
    const steps = input.canarySteps ?? [];
    if (steps.length === 0) throw badRequest("A canary needs its traffic steps, e.g. 10, 50, 100", "canarySteps");
    if (steps.some((s, i) => !Number.isInteger(s) || s < 1 || s > 100 || (i > 0 && s <= steps[i - 1])))
      throw badRequest("Canary steps are increasing percentages between 1 and 100", "canarySteps");
    if (steps[steps.length - 1] !== 100) throw badRequest("The last canary step must be 100%", "canarySteps");
  }
  if (input.scheduledUntil && input.scheduledUntil <= now) throw badRequest("The window must end in the future", "scheduledUntil");
  if (input.scheduledFrom && input.scheduledUntil && input.scheduledUntil <= input.scheduledFrom)
    throw badRequest("The window must end after it starts", "scheduledUntil");
}

export async function loadTarget(db: Db, serviceId: string, environmentId: string) {
  const [service, environment, placement] = await Promise.all([
    db.service.findUnique({ where: { id: serviceId }, select: { id: true, name: true, slug: true, tier: true, teamId: true } }),
    db.environment.findUnique({ where: { id: environmentId } }),
    db.serviceEnvironment.findUnique({ where: { serviceId_environmentId: { serviceId, environmentId } } }),
  ]);
  if (!service) throw new DomainError("NOT_FOUND", "Service was not found", "serviceId");
  if (!environment) throw new DomainError("NOT_FOUND", "Environment was not found", "environmentId");
  if (!placement) throw badRequest(`${service.name} is not set up in ${environment.name}`, "environmentId");
  return { service, environment, placement };
}

export type RequestPreview = {
  policy: PolicySnapshot;
  promotion: PromotionCheck;
  freeze: string | null;
  /** The freezing window's range (a range window), for the form to show in the user's zone. */
  freezeRange: { startsAt: Date; endsAt: Date; reason: string } | null;
  risk: RiskAssessment;
  currentVersion: string | null;
};

/** What the form shows before submitting: promotion verdict, freeze, policy and risk. */
export async function previewRequest(
  db: Db,
  input: { serviceId: string; environmentId: string; version: string; breakGlass?: boolean },
  now = new Date(),
): Promise<RequestPreview> {
  const { service, environment, placement } = await loadTarget(db, input.serviceId, input.environmentId);
  const policy = await resolvePolicy(db, service, environment);
  const [promotion, windows, cfr] = await Promise.all([
    checkPromotion(db, { serviceId: service.id, environment, version: input.version.trim(), allowSkip: policy.allowSkipPromotion }),
    db.freezeWindow.findMany({ where: { environmentId: environment.id } }),
    recentChangeFailureRate(db, service.id, now),
  ]);
  const freeze = activeFreeze(windows, now);
  const risk = assessRisk({
    environment,
    tier: service.tier,
    fromVersion: placement.currentVersion,
    toVersion: input.version.trim(),
    cfr,
    at: now,
    freezeWindows: windows,
    breakGlass: input.breakGlass,
  });
  const freezeRange =
    freeze?.kind === "range" && freeze.startsAt && freeze.endsAt ? { startsAt: freeze.startsAt, endsAt: freeze.endsAt, reason: freeze.reason } : null;
  return { policy, promotion, freeze: freeze ? describeFreezeWindow(freeze) : null, freezeRange, risk, currentVersion: placement.currentVersion };
}

/** The request's narrowed targets must all be targets of the environment (a 400 naming the field otherwise). */
export async function checkTargetNames(db: Db, environmentId: string, names: string[]) {
  if (!names.length) return [];
  const known = await db.kysely.selectFrom("DeploymentTarget").select("name").where("environmentId", "=", environmentId).execute();
  const unknown = names.filter((n) => !known.some((k) => k.name === n));
  if (unknown.length) throw badRequest(`Not a target of this environment: ${unknown.join(", ")}`, "targetNames");
  return [...new Set(names)];
}

export async function createRequest(db: Db, user: SessionUser, input: NewRequestInput, now = new Date()) {
  validateInput(input, now);
  const breakGlass = input.breakGlassReason !== undefined && input.breakGlassReason !== null;
  const { service, environment, placement } = await loadTarget(db, input.serviceId, input.environmentId);
  if (breakGlass) {
    if (!canBreakGlass(user)) throw forbidden("Only approvers and admins may start a break-glass deployment");
    if ((input.breakGlassReason ?? "").trim().length < 10) throw badRequest("Explain the emergency in at least 10 characters", "breakGlassReason");
  } else if (!canManageService(user, service.teamId)) {
    throw forbidden(`Only members of the team that owns ${service.name} (or admins) may request its deployments`);
  }
  const version = input.version.trim();
  const preview = await previewRequest(db, { serviceId: service.id, environmentId: environment.id, version, breakGlass }, now);
  const { policy } = preview;
  if (breakGlass && !policy.allowBreakGlass) throw forbidden(`The policy "${policy.name}" does not allow break-glass deployments`);
  // Break-glass is for emergencies: it bypasses approvals, freezes and the promotion rule, and is flagged for review.
  if (!breakGlass && !preview.promotion.ok) throw new DomainError("PRECONDITION_FAILED", preview.promotion.reason, "version");
  if (!breakGlass && preview.freeze) {
    throw new DomainError(
      "PRECONDITION_FAILED",
      `${environment.name} is frozen: ${preview.freeze}. Only break-glass deployments run during a freeze.`,
      "environmentId",
    );
  }

  const targetNames = await checkTargetNames(db, environment.id, input.targetNames ?? []);

  return transaction(db, async (tx) => {
    const created = await insertRequest(tx, {
      targetNames,
      serviceId: service.id,
      environmentId: environment.id,
      version,
      previousVersion: placement.currentVersion,
      strategy: input.strategy,
      canarySteps: input.strategy === "canary" ? input.canarySteps : [],
      summary: input.summary.trim(),
      ticketKey: input.ticketKey || null,
      scheduledFrom: input.scheduledFrom ?? null,
      scheduledUntil: input.scheduledUntil ?? null,
      requesterId: user.id,
      approvalsRequired: breakGlass ? 0 : policy.requiredApprovals,
      policySnapshot: policy,
      riskScore: preview.risk.score,
      riskReasons: preview.risk.reasons,
      breakGlass,
      breakGlassReason: breakGlass ? input.breakGlassReason!.trim() : null,
      expiresAt: policy.expiryMinutes && !breakGlass ? new Date(now.getTime() + policy.expiryMinutes * 60_000) : null,
      autoRollback: policy.autoRollback,
      executor: placement.executor,
    });
    // The learned model's P(failure) beside the hand-set score, from the same facts it was trained on.
    await scoreRequests(tx, [created.id]);
    recordAudit(tx, {
      actor: actorOf(user),
      action: "deployment.created",
      subjectType: "deployment_request",
      subjectId: created.id,
      after: { version, environment: environment.name, service: service.slug, breakGlass, promotion: promotionRecord(preview.promotion, breakGlass) },
    });
    if (breakGlass) {
      await emitDeploymentEvent(tx, "deployment.break_glass", created.id, actorOf(user), { reason: created.breakGlassReason });
      await markApproved(tx, created.id, actorOf(user), { breakGlass: true, reason: created.breakGlassReason }, now);
      return created.id;
    }
    const approverIds = await eligibleApproverIds(tx, policy, { requesterId: user.id, owningTeamId: service.teamId });
    await transition(tx, created.id, ["draft"], "pending_approval", {
      actor: actorOf(user),
      eventData: { eligibleApproverIds: approverIds, approvalsRequired: policy.requiredApprovals, riskScore: preview.risk.score },
      locked: created,
    });
    if (policy.requiredApprovals === 0) {
      await markApproved(tx, created.id, systemActor("policy"), { reason: `policy "${policy.name}" requires no approvals` }, now);
    }
    return created.id;
  });
}

/**
 * Requester, owning team or admins may cancel while nothing has started yet. A queued request simply leaves its
 * target's queue; if it was the next to start, the one after it is made due.
 */
export async function cancelRequest(db: Db, user: SessionUser, requestId: string, reason = "") {
  return transaction(db, async (tx) => {
    // Locked and loaded with what the permission check needs, in one statement.
    const r = await tx
      .selectFrom("DeploymentRequest as r")
      .innerJoin("Service as s", "s.id", "r.serviceId")
      .select(["r.status", "r.revision", "r.requesterId", "s.teamId as owningTeamId"])
      .where("r.id", "=", requestId)
      .forUpdate("r")
      .executeTakeFirst();
    if (!r) throw notFound("Deployment request");
    if (!canCancelRequest(user, r)) throw forbidden("Only the requester, the owning team or admins may cancel this request");
    const cancelled = await transition(tx, requestId, CANCELLABLE_STATUSES, "cancelled", {
      actor: actorOf(user),
      data: { finishedAt: new Date() },
      eventData: { reason: reason.trim() || undefined },
      locked: r,
    });
    if (r.status === "queued") await makeNextDue(tx, cancelled, { evenIfPending: true });
    return cancelled;
  });
}

/** Admins mark a break-glass deployment as reviewed after the fact. */
export async function markBreakGlassReviewed(db: Db, user: SessionUser, requestId: string, note: string) {
  return transaction(db, async (tx) => {
    const r = await tx.selectFrom("DeploymentRequest").select(["breakGlass", "reviewedAfterAt"]).where("id", "=", requestId).forUpdate().executeTakeFirst();
    if (!r) throw notFound("Deployment request");
    if (!r.breakGlass) throw badRequest("Only break-glass deployments need a review");
    if (r.reviewedAfterAt) throw new DomainError("CONFLICT", "This break-glass deployment was already reviewed");
    const updated = await markReviewed(tx, requestId);
    recordAudit(tx, {
      actor: actorOf(user),
      action: "deployment.break_glass_reviewed",
      subjectType: "deployment_request",
      subjectId: requestId,
      after: { note },
    });
    return updated;
  });
}
