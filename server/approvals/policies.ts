// Admin configuration of approval policies and freeze windows. Each change is audited.
import type { Role } from "@/generated/prisma/enums";
import { newId, transaction, type Db } from "../db";
import { recordAudit } from "../audit/audit-log";
import { badRequest, notFound } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { freezeWindowState, validateFreezeWindow, type FreezeWindowInput } from "../deployments/freeze-windows";

export type PolicyInput = {
  id?: string;
  name: string;
  environmentId: string;
  serviceId?: string | null;
  tier?: number | null;
  requiredApprovals: number;
  approverRole?: Role | null;
  allowOwningTeam: boolean;
  approverTeamId?: string | null;
  expiryMinutes?: number | null;
  waitTimerMinutes: number;
  allowSkipPromotion: boolean;
  autoRollback: boolean;
  allowBreakGlass: boolean;
};

export async function listPolicies(db: Db, now = new Date()) {
  const [environments, policies, windows] = await Promise.all([
    db.environment.findMany({ orderBy: { rank: "asc" } }),
    db.approvalPolicy.findMany({ orderBy: [{ environmentId: "asc" }, { createdAt: "asc" }], include: { service: { select: { name: true } } } }),
    db.freezeWindow.findMany({ orderBy: { createdAt: "asc" } }),
  ]);
  return environments.map((e) => ({
    ...e,
    policies: policies.filter((p) => p.environmentId === e.id),
    freezeWindows: windows.filter((w) => w.environmentId === e.id).map((w) => ({ ...w, state: freezeWindowState(w, now) })),
  }));
}

/** Teams and services an admin can scope a policy to. */
export async function policyFormOptions(db: Db) {
  const [teams, services] = await Promise.all([
    db.team.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } }),
    db.service.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } }),
  ]);
  return { teams, services };
}

export async function savePolicy(db: Db, user: SessionUser, input: PolicyInput) {
  if (input.serviceId && input.tier != null) throw badRequest("Scope a policy to a service or to a tier, not both", "tier");
  if (!input.approverRole && !input.allowOwningTeam && !input.approverTeamId && input.requiredApprovals > 0)
    throw badRequest("Say who may approve: a role, the owning team or a named team", "approverRole");
  if (input.approverTeamId && !(await db.team.findUnique({ where: { id: input.approverTeamId } })))
    throw badRequest("That team does not exist", "approverTeamId");
  if (!(await db.environment.findUnique({ where: { id: input.environmentId } }))) throw badRequest("That environment does not exist", "environmentId");
  const data = {
    name: input.name.trim(),
    environmentId: input.environmentId,
    serviceId: input.serviceId || null,
    tier: input.tier ?? null,
    requiredApprovals: input.requiredApprovals,
    approverRole: input.approverRole ?? null,
    allowOwningTeam: input.allowOwningTeam,
    approverTeamId: input.approverTeamId || null,
    expiryMinutes: input.expiryMinutes ?? null,
    waitTimerMinutes: input.waitTimerMinutes,
    allowSkipPromotion: input.allowSkipPromotion,
    autoRollback: input.autoRollback,
    allowBreakGlass: input.allowBreakGlass,
  };
  return transaction(db, async (tx) => {
    // One policy per scope: the narrowest-scope lookup must never see two candidates.
    let clashing = tx
      .selectFrom("ApprovalPolicy")
      .select("name")
      .where("environmentId", "=", data.environmentId)
      .where("serviceId", data.serviceId === null ? "is" : "=", data.serviceId)
      .where("tier", data.tier === null ? "is" : "=", data.tier);
    if (input.id) clashing = clashing.where("id", "<>", input.id);
    const clash = await clashing.limit(1).executeTakeFirst();
    if (clash) throw badRequest(`"${clash.name}" already covers this environment and scope`, "name");
    const before = input.id ? await tx.selectFrom("ApprovalPolicy").selectAll().where("id", "=", input.id).executeTakeFirst() : null;
    if (input.id && !before) throw notFound("Policy");
    const now = new Date();
    const saved = input.id
      ? await tx
          .updateTable("ApprovalPolicy")
          .set({ ...data, updatedAt: now })
          .where("id", "=", input.id)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await tx
          .insertInto("ApprovalPolicy")
          .values({ ...data, id: newId(), updatedAt: now })
          .returningAll()
          .executeTakeFirstOrThrow();
    recordAudit(tx, {
      actor: actorOf(user),
      action: input.id ? "policy.updated" : "policy.created",
      subjectType: "approval_policy",
      subjectId: saved.id,
      before,
      after: saved,
    });
    return saved;
  });
}

export async function deletePolicy(db: Db, user: SessionUser, id: string) {
  return transaction(db, async (tx) => {
    const before = await tx.deleteFrom("ApprovalPolicy").where("id", "=", id).returningAll().executeTakeFirst();
    if (!before) throw notFound("Policy");
    recordAudit(tx, { actor: actorOf(user), action: "policy.deleted", subjectType: "approval_policy", subjectId: id, before });
  });
}

export async function addFreezeWindow(db: Db, user: SessionUser, input: FreezeWindowInput & { environmentId: string }) {
  validateFreezeWindow(input);
  return transaction(db, async (tx) => {
    const created = await tx
      .insertInto("FreezeWindow")
      .values({
        id: newId(),
        environmentId: input.environmentId,
        kind: input.kind,
        startsAt: input.kind === "range" ? input.startsAt : null,
        endsAt: input.kind === "range" ? input.endsAt : null,
        daysOfWeek: input.kind === "weekly" ? input.daysOfWeek : [],
        startTime: input.kind === "weekly" ? input.startTime : null,
        endTime: input.kind === "weekly" ? input.endTime : null,
        timeZone: input.timeZone ?? "UTC",
        reason: input.reason ?? "",
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor: actorOf(user), action: "freeze_window.created", subjectType: "freeze_window", subjectId: created.id, after: created });
    return created;
  });
}

export async function deleteFreezeWindow(db: Db, user: SessionUser, id: string) {
  return transaction(db, async (tx) => {
    const before = await tx.deleteFrom("FreezeWindow").where("id", "=", id).returningAll().executeTakeFirst();
    if (!before) throw notFound("Freeze window");
    recordAudit(tx, { actor: actorOf(user), action: "freeze_window.deleted", subjectType: "freeze_window", subjectId: id, before });
  });
}
