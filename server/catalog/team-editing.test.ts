// Issue 15 part 6: admins create and edit teams (members, on-call, chat channel) in the UI; audited; nobody else may.
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser, uid } from "../../test/support/factories";
import { outcome } from "../../test/support/catalog-builders";

describe("team editing", () => {
  it("lets an admin create a team, edit it and set its members, each change audited with an event", async () => {
    const { caller, user: admin } = await callerWithRole("admin");
    const slug = `squad-${uid()}`;
    const team = await caller.catalog.createTeam({
      slug,
      name: "Squad",
      onCallName: "Squad primary",
      onCallUrl: "https://oncall.example/squad",
      chatChannel: "#squad",
    });
    expect(team).toMatchObject({ slug, name: "Squad", description: "", chatChannel: "#squad" });
    await caller.catalog.updateTeam({ slug, changes: { description: "Builds things", chatChannel: "" } });
    const dana = await makeUser("developer");
    await caller.catalog.setTeamMember({ slug, email: dana.email.toUpperCase(), role: "lead" });
    let page = await caller.catalog.team({ slug });
    expect(page).toMatchObject({ description: "Builds things", chatChannel: null, members: [{ role: "lead", user: { id: dana.id } }] });
    // Dana, now a member, may edit the team's services.
    expect((await (await callerFor(dana.id)).catalog.create({ slug: `svc-${uid()}`, name: "Svc", teamSlug: slug })).slug).toMatch(/^svc-/);
    await caller.catalog.removeTeamMember({ slug, userId: dana.id });
    page = await caller.catalog.team({ slug });
    expect(page.members).toEqual([]);
    const db = getDb();
    expect((await db.auditEvent.findMany({ where: { subjectId: team.id, actorId: admin.id }, orderBy: { seq: "asc" } })).map((a) => a.action)).toEqual([
      "team.created",
      "team.updated",
      "team.member_set",
      "team.member_removed",
    ]);
    expect(await db.outboxEvent.count({ where: { type: "catalog.team_changed", payload: { path: ["data", "teamSlug"], equals: slug } } })).toBe(4);
  });

  it("refuses everyone but admins, and bad input with a 4xx naming the field, writing nothing", async () => {
    const team = await makeTeam("Guarded");
    const member = (await callerWithRole("approver", [team.id])).caller;
    const anonymous = await callerFor(null);
    for (const c of [member, anonymous]) {
      const code = c === anonymous ? "UNAUTHORIZED" : "FORBIDDEN";
      expect(await outcome(c.catalog.createTeam({ slug: `x-${uid()}`, name: "X" }))).toMatchObject({ code });
      expect(await outcome(c.catalog.updateTeam({ slug: team.slug, changes: { name: "Mine" } }))).toMatchObject({ code });
      expect(await outcome(c.catalog.setTeamMember({ slug: team.slug, email: "a@b.example" }))).toMatchObject({ code });
      expect(await outcome(c.catalog.removeTeamMember({ slug: team.slug, userId: "u1" }))).toMatchObject({ code });
    }
    const admin = (await callerWithRole("admin")).caller;
    expect(await outcome(admin.catalog.createTeam({ slug: "Not A Slug", name: "X" }))).toMatchObject({ code: "BAD_REQUEST", fields: ["slug"] });
    expect(await outcome(admin.catalog.createTeam({ slug: team.slug, name: "X" }))).toMatchObject({ code: "CONFLICT", fields: ["slug"] });
    expect(await outcome(admin.catalog.updateTeam({ slug: team.slug, changes: { onCallUrl: "javascript:alert(1)" } }))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await outcome(admin.catalog.setTeamMember({ slug: team.slug, email: "nobody@nowhere.example" }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await outcome(admin.catalog.updateTeam({ slug: "no-such-team", changes: { name: "X" } }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await getDb().team.findUniqueOrThrow({ where: { id: team.id } })).name).toBe("Guarded");
  });
});
