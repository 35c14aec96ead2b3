// Teams made and edited in Pier by admins: name, description, on-call contact, chat channel, and members (by e-mail,
// as member or lead). Every change is one transaction with the change, an audit record and a catalog.team_changed
// event. Teams imported from Backstage Groups are the same rows; a later import updates name and description.
// Memberships the catalog's User mapping makes (./user-mapping.ts) are written here too, marked with the User's ref.
import { z } from "zod";
import { recordAudit } from "../audit/audit-log";
import { emitPierEvent } from "../bus/events";
import { newId, transaction, type Db, type Tx } from "../db";
import { conflict, notFound } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { httpUrl } from "../platform/input-rules";
import { SLUG_RE } from "./service-input";

const optionalText = (max: number) =>
  z
    .union([
      z
        .string()
        .trim()
        .max(max)
        .transform((v) => v || null),
      z.null(),
    ])
    .optional();

const teamFields = {
  name: z.string().trim().min(1, "Name is required").max(100, "At most 100 characters"),
  description: z.string().trim().max(2000, "At most 2000 characters"),
  onCallName: optionalText(100),
  onCallUrl: z.union([httpUrl, z.literal("").transform(() => null), z.null()]).optional(),
  chatChannel: optionalText(200),
};

export const createTeamInput = z.object({
  slug: z
    .string()
    .trim()
    .min(2, "At least 2 characters")
    .max(63, "At most 63 characters")
    .regex(SLUG_RE, "Lowercase letters, digits and single dashes (e.g. payments)"),
  ...teamFields,
  description: teamFields.description.default(""),
});
export const updateTeamInput = z.object({ slug: z.string().trim().min(1).max(63), changes: z.object(teamFields).partial() });
export const teamMemberInput = z.object({
  slug: z.string().trim().min(1).max(63),
  email: z.string().trim().toLowerCase().email("An e-mail address").max(200),
  role: z.enum(["member", "lead"]).default("member"),
});

const COLUMNS = ["id", "slug", "name", "description", "onCallName", "onCallUrl", "chatChannel"] as const;

function record(tx: Tx, user: SessionUser, teamId: string, slug: string, change: string, before: unknown, after: unknown) {
  const actor = actorOf(user);
  recordAudit(tx, { actor, action: `team.${change}`, subjectType: "team", subjectId: teamId, before, after });
  emitPierEvent(tx, { type: "catalog.team_changed", severity: "info", subject: {}, actor, data: { teamSlug: slug, change }, labels: { change } });
}

async function lockTeam(tx: Tx, slug: string) {
  const team = await tx.selectFrom("Team").select(COLUMNS).where("slug", "=", slug).forUpdate().executeTakeFirst();
  if (!team) throw notFound(`Team "${slug}"`);
  return team;
}

/** Admins only (the router's roleProcedure): a new team. */
export async function createTeam(db: Db, user: SessionUser, raw: z.input<typeof createTeamInput>) {
  const input = createTeamInput.parse(raw);
  return transaction(db, async (tx) => {
    const taken = await tx.selectFrom("Team").select("id").where("slug", "=", input.slug).executeTakeFirst();
    if (taken) throw conflict(`There is already a team "${input.slug}"`, "slug");
    const team = await tx
      .insertInto("Team")
      .values({
        id: newId(),
        updatedAt: new Date(),
        ...input,
        onCallName: input.onCallName ?? null,
        onCallUrl: input.onCallUrl ?? null,
        chatChannel: input.chatChannel ?? null,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    record(tx, user, team.id, team.slug, "created", null, team);
    return team;
  });
}

/** Admins only: changes the fields named. */
export async function updateTeam(db: Db, user: SessionUser, raw: z.input<typeof updateTeamInput>) {
  const { slug, changes } = updateTeamInput.parse(raw);
  return transaction(db, async (tx) => {
    const before = await lockTeam(tx, slug);
    const after = await tx
      .updateTable("Team")
      .set({ ...changes, updatedAt: new Date() })
      .where("id", "=", before.id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    record(tx, user, before.id, slug, "updated", before, after);
    return after;
  });
}

/** Admins only: adds the user with that e-mail to the team (or changes their role in it). */
export async function setTeamMember(db: Db, user: SessionUser, raw: z.input<typeof teamMemberInput>) {
  const { slug, email, role } = teamMemberInput.parse(raw);
  return transaction(db, async (tx) => {
    const team = await lockTeam(tx, slug);
    const member = await tx.selectFrom("User").select(["id", "name"]).where("email", "=", email).where("disabledAt", "is", null).executeTakeFirst();
    if (!member) throw notFound(`A Pier user with the e-mail ${email}`);
    const before = await tx.selectFrom("TeamMember").select("role").where("teamId", "=", team.id).where("userId", "=", member.id).executeTakeFirst();
    await tx
      .insertInto("TeamMember")
      .values({ teamId: team.id, userId: member.id, role })
      // Set by hand, a membership the catalog mapping made becomes hand-made: the mapping no longer removes it.
      .onConflict((oc) => oc.columns(["teamId", "userId"]).doUpdateSet({ role, catalogRef: null }))
      .execute();
    record(tx, user, team.id, slug, "member_set", before ? { userId: member.id, role: before.role } : null, { userId: member.id, role });
    return { userId: member.id, name: member.name, role };
  });
}

/** Admins only: takes the user out of the team. */
export async function removeTeamMember(db: Db, user: SessionUser, raw: { slug: string; userId: string }) {
  return transaction(db, async (tx) => {
    const team = await lockTeam(tx, raw.slug);
    const removed = await tx.deleteFrom("TeamMember").where("teamId", "=", team.id).where("userId", "=", raw.userId).returning("role").executeTakeFirst();
    if (!removed) throw notFound("That member");
    record(tx, user, team.id, raw.slug, "member_removed", { userId: raw.userId, role: removed.role }, null);
    return { removed: true };
  });
}

/** A membership the catalog mapping makes or unmakes: team, Pier user, and the User entity it comes from. */
export type CatalogMembership = { teamId: string; teamSlug: string; userId: string; catalogRef: string };

/**
 * Adds the memberships a catalog User's memberOf asks for (./user-mapping.ts). Where the user is already a member
 * (by hand, or through another User entity) nothing changes. Each one added is audited with its catalog ref.
 */
export async function addCatalogMemberships(tx: Tx, user: SessionUser, rows: readonly CatalogMembership[]) {
  if (!rows.length) return 0;
  const added = await tx
    .insertInto("TeamMember")
    .values(rows.map((r) => ({ teamId: r.teamId, userId: r.userId, role: "member", catalogRef: r.catalogRef })))
    .onConflict((oc) => oc.columns(["teamId", "userId"]).doNothing())
    .returning(["teamId", "userId", "catalogRef"])
    .execute();
  const slugOf = new Map(rows.map((r) => [r.teamId, r.teamSlug]));
  for (const a of added) record(tx, user, a.teamId, slugOf.get(a.teamId)!, "member_set", null, { userId: a.userId, role: "member", catalogRef: a.catalogRef });
  return added.length;
}

/** Removes memberships the mapping made (only rows still marked with that catalog ref: never hand-made ones); audited. */
export async function removeCatalogMemberships(tx: Tx, user: SessionUser, rows: readonly CatalogMembership[]) {
  let removed = 0;
  for (const r of rows) {
    const gone = await tx
      .deleteFrom("TeamMember")
      .where("teamId", "=", r.teamId)
      .where("userId", "=", r.userId)
      .where("catalogRef", "=", r.catalogRef)
      .returning("role")
      .executeTakeFirst();
    if (!gone) continue;
    removed++;
    record(tx, user, r.teamId, r.teamSlug, "member_removed", { userId: r.userId, role: gone.role, catalogRef: r.catalogRef }, null);
  }
  return removed;
}
