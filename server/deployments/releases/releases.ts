// Creating, approving, rejecting and aborting releases. A release's members are ordinary deployment requests,
// created as drafts (each checked as a single request is: placement, version, promotion rule, freeze) and kept
// there until the release is approved; then the orchestrator approves them one at a time, in dependency order.
import { transaction, type Db } from "../../db";
import { recordAudit } from "../../audit/audit-log";
import { badRequest, conflict, DomainError, forbidden, notFound } from "../../errors";
import { actorOf } from "../../identity/access";
import { ROLE_RANK, type SessionUser } from "../../identity/roles";
import { eligibleApproverIds, type PolicySnapshot } from "../approval-policy";
import { insertRequest } from "../request-store";
import { promotionRecord } from "../promotion";
import { previewRequest } from "../requests";
import { parseVersion, VERSION_HINT } from "../version";
import { canAbortRelease, canCreateRelease, releaseApproverEligibility, type ReleasePolicy } from "./access";
import { advanceRelease, cancelUnstarted, loadMembers, startRollingBack } from "./orchestrator";
import { dependencyOrder, loadDependencyEdges } from "./order";
import { changeRelease, insertRelease, lockRelease } from "./release-store";
import { emitReleaseEvent, transitionRelease } from "./state-machine";

export type NewReleaseInput = {
  name: string;
  environmentId: string;
  onFailure: "hold" | "rollback";
  summary?: string;
  members: { serviceId: string; version: string }[];
};

/** Strictest first: more approvals, then a higher approver role (a team-only policy counts as strictest), then a longer wait. */
function strictness(p: PolicySnapshot): [number, number, number] {
  return [p.requiredApprovals, p.approverRole ? ROLE_RANK[p.approverRole] : 4, p.waitTimerMinutes];
}
export function strictestPolicy<T extends { policy: PolicySnapshot }>(members: readonly T[]): T {
  return members.reduce((best, m) => {
    const [a, b] = [strictness(m.policy), strictness(best.policy)];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i] ? m : best;
    return best;
  });
}

/** A member's check failing: the message names the service and the field is the member's (members.2.version). */
const memberError = (i: number, service: string, err: unknown) =>
  err instanceof DomainError ? new DomainError(err.code, `${service}: ${err.message}`, `members.${i}.${err.field ?? "serviceId"}`) : err;

export async function createRelease(db: Db, user: SessionUser, input: NewReleaseInput, now = new Date()) {
  const name = input.name.trim();
  if (!name) throw badRequest("Give the release a name", "name");
  if (input.members.length < 2) throw badRequest("A release groups at least two services", "members");
  const seen = new Set<string>();
  input.members.forEach((m, i) => {
    if (seen.has(m.serviceId)) throw badRequest("Each service may appear once in a release", `members.${i}.serviceId`);
    seen.add(m.serviceId);
    if (!parseVersion(m.version.trim())) throw badRequest(`"${m.version}" is not a version Pier understands. ${VERSION_HINT}`, `members.${i}.version`);
  });
  const environment = await db.kysely.selectFrom("Environment").selectAll().where("id", "=", input.environmentId).executeTakeFirst();
  if (!environment) throw new DomainError("NOT_FOUND", "Environment was not found", "environmentId");
  const services = await db.kysely
    .selectFrom("Service")
    .select(["id", "slug", "name", "teamId"])
    .where(
      "id",
      "in",
      input.members.map((m) => m.serviceId),
    )
    .execute();
  const placements = await db.kysely
    .selectFrom("ServiceEnvironment")
    .select(["serviceId", "executor"])
    .where("environmentId", "=", environment.id)
    .where(
      "serviceId",
      "in",
      services.map((s) => s.id),
    )
    .execute();
  const checked = [];
  for (const [i, m] of input.members.entries()) {
    const service = services.find((s) => s.id === m.serviceId);
    if (!service) throw new DomainError("NOT_FOUND", "Service was not found", `members.${i}.serviceId`);
    const version = m.version.trim();
    const preview = await previewRequest(db, { serviceId: service.id, environmentId: environment.id, version }, now).catch((err: unknown) => {
      throw memberError(i, service.name, err);
    });
    if (!preview.promotion.ok) throw new DomainError("PRECONDITION_FAILED", `${service.name}: ${preview.promotion.reason}`, `members.${i}.version`);
    if (preview.freeze) throw new DomainError("PRECONDITION_FAILED", `${environment.name} is frozen: ${preview.freeze}`, "environmentId");
    const executor = placements.find((p) => p.serviceId === service.id)?.executor ?? "simulator";
    checked.push({
      service,
      version,
      executor,
      policy: preview.policy,
      risk: preview.risk,
      currentVersion: preview.currentVersion,
      promotion: promotionRecord(preview.promotion, false),
    });
  }
  if (
    !canCreateRelease(
      user,
      services.map((s) => s.teamId),
    )
  ) {
    throw forbidden("Only approvers, admins, or a team that owns every service in it may create a release");
  }
  const { order, after } = dependencyOrder(
    checked.map((c) => ({ ...c, id: c.service.id, slug: c.service.slug })),
    await loadDependencyEdges(
      db.kysely,
      services.map((s) => s.id),
    ),
  );
  const strictest = strictestPolicy(checked);
  const policy: ReleasePolicy = { ...strictest.policy, owningTeamId: strictest.service.teamId, fromService: strictest.service.slug };
  const summary = (input.summary ?? "").trim() || `Release ${name}`;

  return transaction(db, async (tx) => {
    const requests = [];
    for (const c of order) {
      const created = await insertRequest(tx, {
        serviceId: c.service.id,
        environmentId: environment.id,
        version: c.version,
        previousVersion: c.currentVersion,
        strategy: "rolling",
        canarySteps: [],
        summary: `${summary} (release ${name})`,
        requesterId: user.id,
        // Approved once, as the release: the members carry the release's policy for the evidence.
        approvalsRequired: 0,
        policySnapshot: policy,
        riskScore: c.risk.score,
        riskReasons: c.risk.reasons,
        autoRollback: c.policy.autoRollback,
        executor: c.executor,
      });
      recordAudit(tx, {
        actor: actorOf(user),
        action: "deployment.created",
        subjectType: "deployment_request",
        subjectId: created.id,
        after: { version: c.version, environment: environment.name, service: c.service.slug, release: name, promotion: c.promotion },
      });
      requests.push({ requestId: created.id, serviceId: c.service.id, after: after.get(c.service.id) ?? [] });
    }
    const release = await insertRelease(
      tx,
      {
        name,
        environmentId: environment.id,
        onFailure: input.onFailure,
        creatorId: user.id,
        policySnapshot: policy,
        approvalsRequired: policy.requiredApprovals,
      },
      requests,
    );
    recordAudit(tx, {
      actor: actorOf(user),
      action: "release.created",
      subjectType: "release",
      subjectId: release.id,
      after: { name, environment: environment.name, order: order.map((c) => `${c.service.slug}@${c.version}`), policy: policy.name },
    });
    const approverIds = await eligibleApproverIds(tx, policy, { requesterId: user.id, owningTeamId: policy.owningTeamId });
    await emitReleaseEvent(tx, "release.requested", release, actorOf(user), {
      eligibleApproverIds: approverIds,
      approvalsRequired: policy.requiredApprovals,
      order: order.map((c) => c.service.slug),
      summary: `${name}: ${order.map((c) => `${c.service.slug} ${c.version}`).join(" → ")} to ${environment.name}`,
    });
    if (policy.requiredApprovals === 0) {
      const approved = await transitionRelease(tx, release, "rolling_out", {
        actor: actorOf(user),
        eventData: { reason: `policy "${policy.name}" requires no approvals` },
      });
      await advanceRelease(tx, approved);
    }
    return release.id;
  });
}

/** Approve (counted; the last needed approval starts the rollout) or reject (members cancelled). */
export async function decideRelease(db: Db, user: SessionUser, releaseId: string, decision: "approve" | "reject", comment = "") {
  return transaction(db, async (tx) => {
    const r = await lockRelease(tx, releaseId);
    if (!r) throw notFound("Release");
    if (r.status !== "pending_approval") throw conflict(`This release is no longer waiting for approval (it is ${r.status.replace("_", " ")})`);
    const eligibility = releaseApproverEligibility(user, r);
    if (!eligibility.ok) throw forbidden(eligibility.reason);
    const actor = actorOf(user);
    if (decision === "reject") {
      await cancelUnstarted(tx, await loadMembers(tx, r.id), actor, `release ${r.name} was rejected`);
      return transitionRelease(tx, r, "rejected", {
        actor,
        message: comment.trim() || "Rejected",
        finished: new Date(),
        eventData: { reason: comment.trim() },
      });
    }
    if (r.approvedBy.includes(user.id)) throw conflict("You already approved this release");
    const approved = await changeRelease(tx, r.id, {}, user.id);
    recordAudit(tx, {
      actor,
      action: "release.approval_recorded",
      subjectType: "release",
      subjectId: r.id,
      after: { approvals: approved.approvedBy.length, required: r.approvalsRequired, comment: comment.trim() || undefined },
    });
    if (approved.approvedBy.length < r.approvalsRequired) return approved;
    const rolling = await transitionRelease(tx, approved, "rolling_out", { actor, eventData: { approvedBy: approved.approvedBy } });
    return advanceRelease(tx, rolling);
  });
}

/**
 * Abort: members not started are cancelled, a member already deploying finishes on its own. With `rollBack`, the
 * members that went out are rolled back too (in reverse order).
 */
export async function abortRelease(db: Db, user: SessionUser, releaseId: string, opts: { rollBack?: boolean; reason?: string } = {}) {
  return transaction(db, async (tx) => {
    const r = await lockRelease(tx, releaseId);
    if (!r) throw notFound("Release");
    if (!canAbortRelease(user, r)) throw forbidden("Only the release's creator and admins may abort it");
    const actor = actorOf(user);
    const reason = opts.reason?.trim() || "aborted";
    const members = await loadMembers(tx, r.id);
    if (opts.rollBack && (r.status === "rolling_out" || r.status === "held")) {
      return startRollingBack(tx, r, members, actor, `Rolling back: ${reason}`);
    }
    if (r.status !== "pending_approval" && r.status !== "rolling_out" && r.status !== "held") {
      throw conflict(`This release is ${r.status.replace("_", " ")} and cannot be aborted`);
    }
    await cancelUnstarted(tx, members, actor, `release ${r.name} was aborted`);
    return transitionRelease(tx, r, "aborted", { actor, message: `Aborted: ${reason}`, finished: new Date() });
  });
}
