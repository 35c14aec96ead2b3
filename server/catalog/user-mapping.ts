// "Map catalog Users to Pier accounts by email" (issue #15), an admin setting, off unless turned on. While on, a
// Backstage User entity whose spec.profile.email is an active Pier user's e-mail (case-insensitively) is linked to
// that user (CatalogEntity.userId), and its spec.memberOf Groups that are Pier teams become team memberships marked
// with the User's ref (TeamMember.catalogRef). Settled with every import and location refresh (./backstage-import.ts
// settleEntities: the Users imported and those whose memberOf points at a Group imported), so a membership the
// catalog no longer lists is removed, and a Group imported after its members still gets them. The mapping adds and
// removes only its own memberships: one that exists already (by hand) is left as it is. Turning it off unlinks every
// User and removes every membership it made; turning it on maps the Users already imported. All audited.
import { z } from "zod";
import { recordAudit } from "../audit/audit-log";
import { anyOf, sql, transaction, type Db, type DB, type Kysely, type Tx } from "../db";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { loadSessionUser } from "../identity/users";
import type { BackstageEntity } from "./backstage-mapping";
import { teamsOfGroupRefs } from "./entity-projection";
import { linkEntityUsers, sourcesPointingAt } from "./entity-store";
import { addCatalogMemberships, removeCatalogMemberships, type CatalogMembership } from "./team-editing";

const SETTINGS_ID = "catalog";
/** User entities mapped per batch of statements (refs travel as one array parameter). */
const BATCH = 1000;

export const catalogSettingsInput = z.object({ mapUsersByEmail: z.boolean() });

/** The catalog settings (defaults when never saved). */
export async function catalogSettings(db: Kysely<DB>) {
  const row = await db.selectFrom("CatalogSettings").select(["mapUsersByEmail", "updatedAt"]).where("id", "=", SETTINGS_ID).executeTakeFirst();
  return { mapUsersByEmail: row?.mapUsersByEmail ?? false, updatedAt: row?.updatedAt ?? null };
}

/** The e-mail a User entity gives (spec.profile.email), lowered; null when it gives none. */
function emailOfUserEntity(entity: BackstageEntity): string | null {
  const email = (entity.spec?.profile as { email?: unknown } | undefined)?.email;
  return typeof email === "string" && email.trim() ? email.trim().toLowerCase() : null;
}

/** Admins only (the router): turns the mapping on (mapping every imported User now) or off (undoing it). */
export async function setCatalogSettings(db: Db, user: SessionUser, raw: z.input<typeof catalogSettingsInput>) {
  const input = catalogSettingsInput.parse(raw);
  return transaction(db, async (tx) => {
    // The row exists before it is locked, so two admins saving at once take turns.
    await tx
      .insertInto("CatalogSettings")
      .values({ id: SETTINGS_ID, updatedAt: new Date() })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    const before = await tx.selectFrom("CatalogSettings").select("mapUsersByEmail").where("id", "=", SETTINGS_ID).forUpdate().executeTakeFirstOrThrow();
    if (before.mapUsersByEmail === input.mapUsersByEmail) return { ...input, linked: 0, unlinked: 0, added: 0, removed: 0 };
    await tx
      .updateTable("CatalogSettings")
      .set({ mapUsersByEmail: input.mapUsersByEmail, updatedById: user.id, updatedAt: new Date() })
      .where("id", "=", SETTINGS_ID)
      .execute();
    recordAudit(tx, {
      actor: actorOf(user),
      action: "catalog.settings_updated",
      subjectType: "catalog_settings",
      subjectId: SETTINGS_ID,
      before,
      after: input,
    });
    const refs = (await tx.selectFrom("CatalogEntity").select("ref").where("kind", "=", "User").execute()).map((r) => r.ref);
    // Off: also the links and memberships of User entities since deleted are gone (deleteOrphan removes those).
    return { ...input, ...(await mapUsers(tx, user, refs, input.mapUsersByEmail)) };
  });
}

/**
 * After an import or refresh (settleEntities): maps the User entities among `refs` and those whose memberOf points
 * at any of them. Nothing (one read) while the mapping is off.
 */
export async function settleUserMappings(tx: Tx, user: SessionUser, refs: readonly string[]) {
  if (!refs.length || !(await catalogSettings(tx)).mapUsersByEmail) return;
  const pointing = await sourcesPointingAt(tx, refs, ["memberOf"]);
  await mapUsers(tx, user, [...new Set([...refs, ...pointing])], true);
}

/**
 * A Pier account just created (its first sign-in, server/auth.ts): while the mapping is on, the catalog's User
 * entities giving its e-mail are linked to it now, with their memberOf teams, not only at the next import or refresh
 * of their location. The account is the audit's actor: its own sign-in made the link. Null when nothing was to do.
 */
export async function mapUsersOfNewAccount(db: Db, userId: string) {
  const account = await loadSessionUser(db, userId);
  if (!account) return null;
  return transaction(db, async (tx) => {
    if (!(await catalogSettings(tx)).mapUsersByEmail) return null;
    // Candidates by the e-mail as emailOfUserEntity reads it; mapUsers decides each link itself.
    const refs = await tx
      .selectFrom("CatalogEntity")
      .select("ref")
      .where("kind", "=", "User")
      .where(sql<string>`lower(btrim(entity #>> '{spec,profile,email}'))`, "=", account.email.trim().toLowerCase())
      .execute();
    return refs.length
      ? mapUsers(
          tx,
          account,
          refs.map((r) => r.ref),
          true,
        )
      : null;
  });
}

/** A User entity deleted (an orphan): the memberships it made go with it. */
export async function forgetUserMapping(tx: Tx, user: SessionUser, ref: string) {
  const rows = await catalogMembershipsOf(tx, [ref]);
  await removeCatalogMemberships(tx, user, rows);
}

async function catalogMembershipsOf(tx: Tx, refs: readonly string[]): Promise<CatalogMembership[]> {
  if (!refs.length) return [];
  const rows = await tx
    .selectFrom("TeamMember as m")
    .innerJoin("Team as t", "t.id", "m.teamId")
    .select(["m.teamId", "t.slug as teamSlug", "m.userId", "m.catalogRef"])
    .where("m.catalogRef", "=", anyOf(refs))
    .execute();
  return rows.map((r) => ({ ...r, catalogRef: r.catalogRef! }));
}

/** Links (or, `on` false, unlinks) these refs' User entities and makes their memberships what their memberOf says. */
async function mapUsers(tx: Tx, user: SessionUser, refs: readonly string[], on: boolean) {
  const tally = { linked: 0, unlinked: 0, added: 0, removed: 0 };
  for (let i = 0; i < refs.length; i += BATCH) {
    const part = refs.slice(i, i + BATCH);
    const entities = await tx
      .selectFrom("CatalogEntity")
      .select(["id", "ref", "entity", "userId"])
      .where("ref", "=", anyOf(part))
      .where("kind", "=", "User")
      .execute();
    if (!entities.length) continue;
    const emails = on ? entities.map((e) => emailOfUserEntity(e.entity as BackstageEntity)).filter((x): x is string => !!x) : [];
    const accounts = new Map<string, string>();
    if (emails.length) {
      const found = await tx
        .selectFrom("User")
        .select(["id", "email"])
        .where((eb) => eb(eb.fn("lower", ["email"]), "=", anyOf(emails)))
        .where("disabledAt", "is", null)
        .orderBy("createdAt")
        .execute();
      // Two accounts whose e-mails differ only in case: the older one.
      for (const u of found) if (!accounts.has(u.email.toLowerCase())) accounts.set(u.email.toLowerCase(), u.id);
    }
    const linkOf = new Map(entities.map((e) => [e.ref, on ? (accounts.get(emailOfUserEntity(e.entity as BackstageEntity) ?? "") ?? null) : null]));
    const links = entities.filter((e) => e.userId !== linkOf.get(e.ref)).map((e) => ({ id: e.id, ref: e.ref, userId: linkOf.get(e.ref)!, before: e.userId }));
    await linkEntityUsers(tx, user, links);
    for (const l of links) tally[l.userId ? "linked" : "unlinked"]++;

    // What memberOf asks for, for the linked Users, against what the mapping made before.
    const memberOf = on
      ? await tx
          .selectFrom("CatalogRelation")
          .select(["sourceRef", "targetRef"])
          .where("sourceRef", "=", anyOf(entities.filter((e) => linkOf.get(e.ref)).map((e) => e.ref)))
          .where("type", "=", "memberOf")
          .execute()
      : [];
    const teams = await teamsOfGroupRefs(tx, [...new Set(memberOf.map((r) => r.targetRef))]);
    const wanted: CatalogMembership[] = memberOf.flatMap((r) => {
      const team = teams.get(r.targetRef);
      return team ? [{ teamId: team.id, teamSlug: team.slug, userId: linkOf.get(r.sourceRef)!, catalogRef: r.sourceRef }] : [];
    });
    const key = (m: CatalogMembership) => `${m.teamId} ${m.userId} ${m.catalogRef}`;
    const had = await catalogMembershipsOf(
      tx,
      entities.map((e) => e.ref),
    );
    const hadKeys = new Set(had.map(key));
    const wantedKeys = new Set(wanted.map(key));
    tally.removed += await removeCatalogMemberships(
      tx,
      user,
      had.filter((m) => !wantedKeys.has(key(m))),
    );
    tally.added += await addCatalogMemberships(
      tx,
      user,
      wanted.filter((m) => !hadKeys.has(key(m))),
    );
  }
  return tally;
}

/** For /admin/users: the setting, and the catalog's User entities no Pier account matches (the first 200). */
export async function userMappingOverview(db: Kysely<DB>) {
  const settings = await catalogSettings(db);
  const unmapped = settings.mapUsersByEmail
    ? await db
        .selectFrom("CatalogEntity")
        .select(["ref", "kind", "namespace", "name", "entity"])
        .where("kind", "=", "User")
        .where("userId", "is", null)
        .orderBy("ref")
        .limit(200)
        .execute()
    : [];
  const users = await db
    .selectFrom("CatalogEntity")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("kind", "=", "User")
    .executeTakeFirstOrThrow();
  return {
    ...settings,
    catalogUsers: Number(users.n),
    unmapped: unmapped.map((e) => ({ ref: e.ref, namespace: e.namespace, name: e.name, email: emailOfUserEntity(e.entity as BackstageEntity) })),
  };
}
