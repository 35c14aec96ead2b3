// What a release does next: advanceRelease() looks at the locked release and its members' requests and makes the
// moves the order asks for. Rolling out: the first member not yet succeeded is approved (and so queued) when it is
// still a draft; a member that failed holds the release or starts rolling back. Rolling back: once nothing is in
// flight, the succeeded members are rolled back one at a time in reverse order (consumers before providers).
// It only reads state and acts on it, so calling it twice (a redelivered event, two workers) does nothing twice.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import { recordAudit, systemActor, type Actor } from "../../audit/audit-log";
import type { Tx } from "../../db";
import { createRollbackRequest } from "../rollback";
import { markApproved } from "../scheduling";
import { ACTIVE_STATUSES, CANCELLABLE_STATUSES, transition } from "../state-machine";
import { makeNextDue } from "../target-queue";
import type { ReleaseRow } from "./release-store";
import { emitReleaseEvent, transitionRelease } from "./state-machine";

const releaseActor = systemActor("release");

export type MemberState = {
  requestId: string;
  position: number;
  serviceId: string;
  slug: string;
  status: DeploymentStatus;
  version: string;
  previousVersion: string | null;
  environmentId: string;
};

export async function loadMembers(tx: Tx, releaseId: string): Promise<MemberState[]> {
  return tx
    .selectFrom("ReleaseMember as m")
    .innerJoin("DeploymentRequest as d", "d.id", "m.requestId")
    .innerJoin("Service as s", "s.id", "m.serviceId")
    .select(["m.requestId", "m.position", "m.serviceId", "s.slug", "d.status", "d.version", "d.previousVersion", "d.environmentId"])
    .where("m.releaseId", "=", releaseId)
    .orderBy("m.position")
    .execute();
}

const isActive = (s: DeploymentStatus) => (ACTIVE_STATUSES as readonly DeploymentStatus[]).includes(s) && s !== "draft";
const isCancellable = (s: DeploymentStatus) => (CANCELLABLE_STATUSES as readonly DeploymentStatus[]).includes(s);

/** Members that have not started (draft, approved, queued) never will: cancelled, and their target's queue moves on. */
export async function cancelUnstarted(tx: Tx, members: MemberState[], actor: Actor, reason: string) {
  for (const m of members.filter((x) => isCancellable(x.status))) {
    const cancelled = await transition(tx, m.requestId, CANCELLABLE_STATUSES, "cancelled", {
      actor,
      data: { finishedAt: new Date() },
      eventData: { reason },
    });
    if (m.status === "queued") await makeNextDue(tx, cancelled, { evenIfPending: true });
  }
}

/** The release's next moves (see the file comment). Returns the release as they leave it. */
export async function advanceRelease(tx: Tx, r: ReleaseRow, actor: Actor = releaseActor): Promise<ReleaseRow> {
  if (r.status === "rolling_out") return rollOut(tx, r, actor);
  if (r.status === "rolling_back") return rollBack(tx, r, actor);
  return r;
}

async function rollOut(tx: Tx, r: ReleaseRow, actor: Actor): Promise<ReleaseRow> {
  const members = await loadMembers(tx, r.id);
  for (const m of members) {
    if (m.status === "succeeded") continue;
    if (m.status === "draft") {
      await markApproved(tx, m.requestId, actor, { releaseId: r.id, approvedBy: r.approvedBy });
      recordAudit(tx, {
        actor,
        action: "release.member_started",
        subjectType: "release",
        subjectId: r.id,
        after: { requestId: m.requestId, service: m.slug, version: m.version, position: m.position },
      });
      await emitReleaseEvent(tx, "release.member_started", r, actor, { requestId: m.requestId, service: m.slug, version: m.version, position: m.position });
      return r;
    }
    if (isActive(m.status)) return r;
    // failed, rolled back, cancelled, expired or rejected: the release stops here.
    const reason = `${m.slug} ${m.version} ${m.status.replace("_", " ")}`;
    if (r.onFailure === "hold") return transitionRelease(tx, r, "held", { actor, message: `Held: ${reason}`, eventData: { requestId: m.requestId } });
    return startRollingBack(tx, r, members, actor, `Rolling back: ${reason}`);
  }
  return transitionRelease(tx, r, "succeeded", { actor, message: `All ${members.length} services deployed`, finished: new Date() });
}

/** → rolling_back: members not started are cancelled, then the rollback proceeds. */
export async function startRollingBack(tx: Tx, r: ReleaseRow, members: MemberState[], actor: Actor, message: string) {
  await cancelUnstarted(tx, members, actor, `release ${r.name} is rolling back`);
  const next = await transitionRelease(tx, r, "rolling_back", { actor, message });
  return rollBack(tx, next, actor);
}

async function rollBack(tx: Tx, r: ReleaseRow, actor: Actor): Promise<ReleaseRow> {
  const members = await loadMembers(tx, r.id);
  // A member still running finishes first (it may succeed and then need rolling back too).
  if (members.some((m) => isActive(m.status))) return r;
  const rollbacks = await tx
    .selectFrom("DeploymentRequest")
    .select(["rollbackOfId", "status"])
    .where(
      "rollbackOfId",
      "in",
      members.map((m) => m.requestId),
    )
    .execute();
  for (const m of [...members].reverse()) {
    if (m.status !== "succeeded" || !m.previousVersion) continue;
    const mine = rollbacks.filter((b) => b.rollbackOfId === m.requestId);
    if (mine.some((b) => isActive(b.status))) return r;
    if (mine.length) {
      // Its rollback ran and did not restore it: a person has to look.
      return transitionRelease(tx, r, "failed", { actor, message: `The rollback of ${m.slug} did not succeed`, finished: new Date() });
    }
    const rollbackId = await createRollbackRequest(tx, m.requestId, actor, `release ${r.name} is rolling back`);
    recordAudit(tx, {
      actor,
      action: "release.member_rollback",
      subjectType: "release",
      subjectId: r.id,
      after: { requestId: m.requestId, rollbackRequestId: rollbackId, service: m.slug, to: m.previousVersion },
    });
    return r;
  }
  return transitionRelease(tx, r, "rolled_back", { actor, message: "Every member that went out was rolled back", finished: new Date() });
}
