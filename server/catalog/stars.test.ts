// Issue 15: the catalog list's "Owned by my teams / Starred / All" views and the stars behind them.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam } from "../../test/support/factories";
import { makeService, outcome } from "../../test/support/catalog-builders";

let ours: { id: string; slug: string };
let theirs: { id: string; slug: string };
const slugs = (r: { items: { slug: string }[] }) => r.items.map((i) => i.slug).sort();

beforeAll(async () => {
  ours = await makeTeam("Stars ours");
  theirs = await makeTeam("Stars theirs");
  await makeService(ours.id, { slug: "star-ours-api", name: "Ours API" });
  await makeService(ours.id, { slug: "star-ours-web", name: "Ours web" });
  await makeService(theirs.id, { slug: "star-theirs-api", name: "Theirs API" });
});

describe("catalog scopes and stars", () => {
  it("lists the services of my teams, my starred ones, or all", async () => {
    const { caller } = await callerWithRole("developer", [ours.id]);
    expect(slugs(await caller.catalog.search({ q: "star-", scope: "mine" }))).toEqual(["star-ours-api", "star-ours-web"]);
    expect(slugs(await caller.catalog.search({ q: "star-", scope: "starred" }))).toEqual([]);
    expect(slugs(await caller.catalog.search({ q: "star-" }))).toEqual(["star-ours-api", "star-ours-web", "star-theirs-api"]);

    expect(await caller.catalog.setStar({ slug: "star-theirs-api", starred: true })).toEqual({ slug: "star-theirs-api", starred: true });
    expect(slugs(await caller.catalog.search({ q: "star-", scope: "starred" }))).toEqual(["star-theirs-api"]);
    expect(await caller.catalog.starred({ slug: "star-theirs-api" })).toEqual({ starred: true });
    // Scopes combine with the other filters.
    expect(slugs(await caller.catalog.search({ q: "web", scope: "mine" }))).toEqual(["star-ours-web"]);

    await caller.catalog.setStar({ slug: "star-theirs-api", starred: false });
    expect(slugs(await caller.catalog.search({ q: "star-", scope: "starred" }))).toEqual([]);
    expect(await caller.catalog.starred({ slug: "star-theirs-api" })).toEqual({ starred: false });
  });

  it("keeps stars personal, audits each change once, and a user of no team owns nothing", async () => {
    const { user: alice, caller: a } = await callerWithRole("developer", [ours.id]);
    const { caller: b } = await callerWithRole("admin");
    await a.catalog.setStar({ slug: "star-ours-api", starred: true });
    await a.catalog.setStar({ slug: "star-ours-api", starred: true }); // again: nothing more to do
    // Not even an admin sees or changes another's stars: the procedures act on the caller's own.
    expect(await b.catalog.starred({ slug: "star-ours-api" })).toEqual({ starred: false });
    expect(slugs(await b.catalog.search({ q: "star-", scope: "starred" }))).toEqual([]);
    await b.catalog.setStar({ slug: "star-ours-api", starred: false });
    expect(await a.catalog.starred({ slug: "star-ours-api" })).toEqual({ starred: true });
    expect(slugs(await b.catalog.search({ q: "star-", scope: "mine" }))).toEqual([]);

    const audits = await getDb()
      .kysely.selectFrom("AuditEvent")
      .select(["action", "actorId"])
      .where("action", "like", "catalog.service_%starred")
      .where("actorId", "=", alice.id)
      .execute();
    expect(audits).toEqual([{ action: "catalog.service_starred", actorId: alice.id }]);
  });

  it("is for signed-in users only; a bad scope or unknown service is a 4xx naming it, writing nothing", async () => {
    const anon = await callerFor(null);
    await expect(anon.catalog.setStar({ slug: "star-ours-api", starred: true })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.catalog.starred({ slug: "star-ours-api" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.catalog.search({ scope: "mine" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { user, caller } = await callerWithRole("developer");
    expect(await outcome(caller.catalog.search({ scope: "everyone" as "all" }))).toMatchObject({ code: "BAD_REQUEST", fields: ["scope"] });
    expect(await outcome(caller.catalog.setStar({ slug: "no-such-service", starred: true }))).toMatchObject({ code: "NOT_FOUND" });
    const stars = await getDb().kysely.selectFrom("ServiceStar").select("serviceId").where("userId", "=", user.id).execute();
    expect(stars).toEqual([]);
  });
});
