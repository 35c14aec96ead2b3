// What the release pages read: the list, and one release with its members in order, their requests' states,
// rollbacks, and the timeline (the audit records of the release and of its members' requests).
import type { Db } from "../../db";
import { notFound } from "../../errors";
import type { SessionUser } from "../../identity/roles";
import { canAbortRelease, canCreateRelease, releaseApproverEligibility, type ReleasePolicy } from "./access";
import { ACTIVE_RELEASE, type ReleaseStatus } from "./state-machine";

export async function listReleases(db: Db, opts: { environmentId?: string; limit?: number } = {}) {
  let q = db.kysely
    .selectFrom("Release as r")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .leftJoin("User as u", "u.id", "r.creatorId")
    .select((eb) => [
      "r.id",
      "r.name",
      "r.status",
      "r.message",
      "r.createdAt",
      "r.finishedAt",
      "e.name as environment",
      "u.name as creator",
      eb
        .selectFrom("ReleaseMember as m")
        .select((x) => x.fn.countAll<string>().as("n"))
        .whereRef("m.releaseId", "=", "r.id")
        .as("memberCount"),
    ])
    .orderBy("r.createdAt", "desc")
    .limit(opts.limit ?? 50);
  if (opts.environmentId) q = q.where("r.environmentId", "=", opts.environmentId);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, memberCount: Number(r.memberCount ?? 0) }));
}

export async function getRelease(db: Db, user: SessionUser, id: string) {
  const r = await db.kysely
    .selectFrom("Release as r")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .leftJoin("User as u", "u.id", "r.creatorId")
    .selectAll("r")
    .select(["e.name as environment", "u.name as creator"])
    .where("r.id", "=", id)
    .executeTakeFirst();
  if (!r) throw notFound("Release");
  const members = await db.kysely
    .selectFrom("ReleaseMember as m")
    .innerJoin("DeploymentRequest as d", "d.id", "m.requestId")
    .innerJoin("Service as s", "s.id", "m.serviceId")
    .select([
      "m.position",
      "m.requestId",
      "m.after",
      "s.slug",
      "s.name as service",
      "d.status",
      "d.version",
      "d.previousVersion",
      "d.startedAt",
      "d.finishedAt",
    ])
    .where("m.releaseId", "=", id)
    .orderBy("m.position")
    .execute();
  const requestIds = members.map((m) => m.requestId);
  const rollbacks = requestIds.length
    ? await db.kysely
        .selectFrom("DeploymentRequest")
        .select(["id", "rollbackOfId", "status", "version"])
        .where("rollbackOfId", "in", requestIds)
        .orderBy("createdAt")
        .execute()
    : [];
  const approvers = r.approvedBy.length ? await db.kysely.selectFrom("User").select(["id", "name"]).where("id", "in", r.approvedBy).execute() : [];
  const timeline = await db.kysely
    .selectFrom("AuditEvent")
    .select(["seq", "action", "actorLabel", "subjectType", "subjectId", "after", "createdAt"])
    .where((eb) =>
      eb.or([
        eb.and([eb("subjectType", "=", "release"), eb("subjectId", "=", id)]),
        ...(requestIds.length ? [eb.and([eb("subjectType", "=", "deployment_request"), eb("subjectId", "in", requestIds)])] : []),
      ]),
    )
    .orderBy("seq")
    .limit(500)
    .execute();
  const policy = r.policySnapshot as ReleasePolicy;
  const eligibility = releaseApproverEligibility(user, r);
  const status = r.status as ReleaseStatus;
  return {
    id: r.id,
    name: r.name,
    status,
    onFailure: r.onFailure,
    message: r.message,
    environment: r.environment,
    creator: r.creator,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    policy: { name: policy.name, requiredApprovals: r.approvalsRequired, fromService: policy.fromService },
    approvedBy: approvers.map((a) => a.name),
    members: members.map((m) => ({
      ...m,
      slugOfService: m.slug,
      rollbacks: rollbacks.filter((b) => b.rollbackOfId === m.requestId).map((b) => ({ id: b.id, status: b.status, version: b.version })),
    })),
    timeline: timeline.map((t) => ({
      seq: String(t.seq),
      action: t.action,
      actor: t.actorLabel,
      service: t.subjectType === "deployment_request" ? (members.find((m) => m.requestId === t.subjectId)?.slug ?? null) : null,
      at: t.createdAt,
    })),
    can: {
      approve: status === "pending_approval" && eligibility.ok && !r.approvedBy.includes(user.id),
      abort: ACTIVE_RELEASE.includes(status) && status !== "rolling_back" && canAbortRelease(user, r),
      whyNotApprove: eligibility.ok ? null : eligibility.reason,
    },
  };
}

/** The new-release form: environments, and the services the caller may put in a release with their live versions. */
export async function releaseFormOptions(db: Db, user: SessionUser) {
  const [environments, services] = await Promise.all([
    db.kysely.selectFrom("Environment").select(["id", "name", "isProduction"]).orderBy("rank").execute(),
    db.kysely
      .selectFrom("Service as s")
      .innerJoin("ServiceEnvironment as se", "se.serviceId", "s.id")
      .select(["s.id", "s.slug", "s.name", "s.teamId", "se.environmentId", "se.currentVersion"])
      .orderBy("s.name")
      .execute(),
  ]);
  const byService = new Map<string, { id: string; slug: string; name: string; versions: Record<string, string | null> }>();
  for (const s of services) {
    if (!canCreateRelease(user, [s.teamId])) continue;
    const entry = byService.get(s.id) ?? { id: s.id, slug: s.slug, name: s.name, versions: {} };
    entry.versions[s.environmentId] = s.currentVersion;
    byService.set(s.id, entry);
  }
  return { environments, services: [...byService.values()] };
}
