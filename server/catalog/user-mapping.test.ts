import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInCallback } from "../auth";
import { closeSignInLimits } from "../identity/sign-in-limit";
import { transaction, getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser, sessionUser, uid } from "../../test/support/factories";
import { forgetUserMapping } from "./user-mapping";

afterAll(() => closeSignInLimits());

const db = () => getDb();
let admin: Awaited<ReturnType<typeof callerWithRole>>;
let ana: { id: string; email: string };
let teamA: { id: string; slug: string };
let teamB: { id: string; slug: string };
const p = uid();

const userYaml = (name: string, email: string, memberOf: string[]) =>
  `apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: ${name} }\nspec:\n  profile: { email: "${email}" }\n  memberOf: [${memberOf.join(", ")}]\n`;
const groupYaml = (name: string) => `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: ${name} }\nspec: { type: team, children: [] }\n`;

async function memberships(userId: string) {
  const rows = await db().teamMember.findMany({ where: { userId }, include: { team: true } });
  return rows.map((m) => [m.team.slug, m.catalogRef]).sort();
}
const importYaml = async (...docs: string[]) => {
  const report = await admin.caller.catalog.importYaml({ yaml: docs.join("---\n") });
  expect(report.counts.error).toBe(0);
  return report;
};

beforeAll(async () => {
  admin = await callerWithRole("admin");
  teamA = await makeTeam("Mapped A");
  teamB = await makeTeam("Mapped B");
  const u = await makeUser("developer", [teamB.id]); // Ana is in team B by hand
  ana = await db().user.update({ where: { id: u.id }, data: { email: `ana.${p}@example.com` } });
});

describe("mapping catalog Users to Pier accounts by email", () => {
  it("is read and changed by admins only, and validates its input", async () => {
    const anon = await callerFor(null);
    await expect(anon.catalog.userMapping()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.catalog.setUserMapping({ mapUsersByEmail: true })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      await expect(caller.catalog.userMapping()).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.catalog.setUserMapping({ mapUsersByEmail: true })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    // @ts-expect-error a string is not a boolean
    await expect(admin.caller.catalog.setUserMapping({ mapUsersByEmail: "yes" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await admin.caller.catalog.userMapping()).toMatchObject({ mapUsersByEmail: false, unmapped: [] });
  });

  it("off (the default): a User with a Pier user's e-mail is imported but not linked", async () => {
    await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [teamA.slug]));
    expect(await memberships(ana.id)).toEqual([[teamB.slug, null]]);
    const page = await admin.caller.catalog.entity({ kind: "User", name: `ana-${p}` });
    expect(page.pierUser).toEqual({ mapping: false, account: null });
  });

  it("on: links by e-mail in any case, adds memberOf teams, leaves hand-made ones and unknown e-mails alone", async () => {
    await importYaml(userYaml(`nobody-${p}`, `nobody.${p}@elsewhere.example`, [teamA.slug]));
    const on = await admin.caller.catalog.setUserMapping({ mapUsersByEmail: true });
    expect(on).toMatchObject({ mapUsersByEmail: true, linked: 1, added: 1 });
    expect(await memberships(ana.id)).toEqual([
      [teamA.slug, `user:default/ana-${p}`],
      [teamB.slug, null],
    ]);
    const page = await admin.caller.catalog.entity({ kind: "User", name: `ana-${p}` });
    expect(page.pierUser).toEqual({ mapping: true, account: { id: ana.id, name: expect.any(String), email: ana.email } });
    const nobody = await admin.caller.catalog.entity({ kind: "User", name: `nobody-${p}` });
    expect(nobody.pierUser).toEqual({ mapping: true, account: null });
    const overview = await admin.caller.catalog.userMapping();
    expect(overview.unmapped).toEqual([{ ref: `user:default/nobody-${p}`, namespace: "default", name: `nobody-${p}`, email: `nobody.${p}@elsewhere.example` }]);
    // Ana's own session now carries team A.
    expect((await sessionUser(ana.id)).teamIds.sort()).toEqual([teamA.id, teamB.id].sort());
    const audits = await db().auditEvent.findMany({ where: { action: { in: ["catalog.settings_updated", "catalog.user_linked"] } } });
    expect(audits.map((a) => a.action).sort()).toEqual(["catalog.settings_updated", "catalog.user_linked"]);
  });

  it("is idempotent: re-importing the same User changes nothing", async () => {
    const before = await db().auditEvent.count();
    const report = await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [teamA.slug]));
    expect(report.counts).toMatchObject({ created: 0, updated: 0 });
    expect(await memberships(ana.id)).toEqual([
      [teamA.slug, `user:default/ana-${p}`],
      [teamB.slug, null],
    ]);
    expect(await db().auditEvent.count()).toBe(before);
  });

  it("removes a membership the catalog no longer lists, never a hand-made one, and follows a Group imported later", async () => {
    const late = `late-${p}`;
    await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [late]));
    expect(await memberships(ana.id)).toEqual([[teamB.slug, null]]);
    // The Group arrives after its member: it becomes a team and Ana joins it.
    await importYaml(groupYaml(late));
    expect(await memberships(ana.id)).toEqual([
      [late, `user:default/ana-${p}`],
      [teamB.slug, null],
    ]);
    // memberOf listing team B (hand-made) does not take it over; dropping it later does not remove it.
    await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [late, teamB.slug]));
    await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [late]));
    expect(await memberships(ana.id)).toEqual([
      [late, `user:default/ana-${p}`],
      [teamB.slug, null],
    ]);
    const removed = await db().auditEvent.findMany({ where: { action: "team.member_removed" } });
    expect(removed.map((a) => a.before)).toEqual([{ userId: ana.id, role: "member", catalogRef: `user:default/ana-${p}` }]);
  });

  it("a membership set by hand becomes hand-made; an entity deleted takes its memberships along", async () => {
    const late = `late-${p}`;
    await admin.caller.catalog.setTeamMember({ slug: late, email: ana.email, role: "lead" });
    expect(await memberships(ana.id)).toEqual([
      [late, null],
      [teamB.slug, null],
    ]);
    await admin.caller.catalog.removeTeamMember({ slug: late, userId: ana.id });
    await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [late, "x-unknown-group"]));
    expect(await memberships(ana.id)).toEqual([
      [late, `user:default/ana-${p}`],
      [teamB.slug, null],
    ]);
    const actor = await sessionUser(admin.user.id);
    await transaction(db(), (tx) => forgetUserMapping(tx, actor, `user:default/ana-${p}`));
    expect(await memberships(ana.id)).toEqual([[teamB.slug, null]]);
  });

  it("off again: every User unlinked and every membership it made removed; hand-made ones stay", async () => {
    await importYaml(userYaml(`ana-${p}`, `ANA.${p}@Example.com`, [teamA.slug]));
    expect(await memberships(ana.id)).toEqual([
      [teamA.slug, `user:default/ana-${p}`],
      [teamB.slug, null],
    ]);
    const off = await admin.caller.catalog.setUserMapping({ mapUsersByEmail: false });
    expect(off).toMatchObject({ mapUsersByEmail: false, unlinked: 1, removed: 1 });
    expect(await memberships(ana.id)).toEqual([[teamB.slug, null]]);
    expect((await db().catalogEntity.findUniqueOrThrow({ where: { ref: `user:default/ana-${p}` } })).userId).toBeNull();
    // Saving the same value again changes nothing.
    expect(await admin.caller.catalog.setUserMapping({ mapUsersByEmail: false })).toMatchObject({ unlinked: 0, removed: 0 });
  });

  it("links a new account at its first sign-in while on; not while off", async () => {
    const oidcSignIn = async (who: string) => {
      const subject = `sub-${who}`;
      const email = `${who}@example.com`;
      const account = { provider: "oidc", providerAccountId: subject, type: "oidc" };
      expect(await signInCallback({ user: { name: who, email }, account, profile: { sub: subject, email, email_verified: true } })).toBe(true);
      return db().user.findUniqueOrThrow({ where: { email } });
    };
    const linkOf = async (name: string) => (await db().catalogEntity.findUniqueOrThrow({ where: { ref: `user:default/${name}` } })).userId;
    // Off (as the previous test left it): the account is created, its User stays unlinked until the mapping is on.
    await importYaml(userYaml(`early-${p}`, `Early.${p}@Example.com`, [teamA.slug]));
    const early = await oidcSignIn(`early.${p}`);
    expect(await linkOf(`early-${p}`)).toBeNull();
    expect(await memberships(early.id)).toEqual([]);

    await admin.caller.catalog.setUserMapping({ mapUsersByEmail: true });
    expect(await linkOf(`early-${p}`)).toBe(early.id);
    await importYaml(userYaml(`newbie-${p}`, `  NEWBIE.${p}@example.com `, [teamA.slug]));
    expect(await linkOf(`newbie-${p}`)).toBeNull();
    const newbie = await oidcSignIn(`newbie.${p}`);
    expect(await linkOf(`newbie-${p}`)).toBe(newbie.id);
    expect(await memberships(newbie.id)).toEqual([[teamA.slug, `user:default/newbie-${p}`]]);
    const linked = await db().auditEvent.findMany({ where: { action: "catalog.user_linked", actorId: newbie.id } });
    expect(linked).toHaveLength(1);
    // Signing in again changes nothing.
    const before = await db().auditEvent.count();
    await oidcSignIn(`newbie.${p}`);
    expect(await db().auditEvent.count()).toBe(before);
  });
});
