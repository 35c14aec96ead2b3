// What a request brings: the changes shipped where the requested version already ran and not yet in the target.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, makeUser } from "../../test/support/factories";
import { as, makeWorld, type World } from "../../test/support/deployment-world";
import { changeUrl } from "./changes-between";
import { riskLevel, RISK_SCALE_TEXT } from "./risk-scale";

let w: World;
const HOUR = 3600_000;

async function ship(version: string, env: "dev" | "staging" | "prod", at: Date, changeIds: string[]) {
  const db = getDb();
  const d = await db.deployment.create({
    data: {
      serviceId: w.service.id,
      serviceName: w.service.slug,
      environmentId: w.envs[env].id,
      environmentName: env,
      version,
      status: "succeeded",
      deployedAt: at,
      source: "test",
    },
  });
  for (const changeId of changeIds)
    await db.deploymentChange.create({
      data: { deploymentId: d.id, changeId, serviceId: w.service.id, environmentId: w.envs[env].id, environmentName: env, deployedAt: at, leadTimeSeconds: 60 },
    });
}

async function change(n: number, mergedAt: Date, source = "github") {
  return getDb().change.create({
    data: {
      serviceId: w.service.id,
      serviceName: w.service.slug,
      repository: "acme/checkout",
      externalId: `${"a".repeat(39)}${n}`,
      title: `Change ${n}`,
      authoredAt: mergedAt,
      mergedAt,
      source,
    },
  });
}

beforeAll(async () => {
  w = await makeWorld();
});

describe("changes a request brings", () => {
  it("lists what shipped upstream up to the requested version and is not yet in the target", async () => {
    const db = getDb();
    const t0 = Date.now() - 48 * HOUR;
    const [c1, c2, c3, c4] = [
      await change(1, new Date(t0)),
      await change(2, new Date(t0 + HOUR)),
      await change(3, new Date(t0 + 5 * HOUR)),
      await change(4, new Date(t0 + 9 * HOUR)),
    ];
    await ship("1.1.0", "staging", new Date(t0 + 2 * HOUR), [c1.id, c2.id]);
    await ship("1.1.0", "prod", new Date(t0 + 3 * HOUR), [c1.id]);
    await ship("1.2.0", "staging", new Date(t0 + 6 * HOUR), [c3.id]);
    await ship("1.3.0", "staging", new Date(t0 + 10 * HOUR), [c4.id]);
    const req = await db.deploymentRequest.create({
      data: {
        serviceId: w.service.id,
        environmentId: w.envs.prod.id,
        version: "1.2.0",
        previousVersion: "1.1.0",
        requesterId: w.developer.id,
        status: "pending_approval",
      },
    });
    const got = await (await as(w.approver1)).deployments.changes({ id: req.id });
    expect(got).toMatchObject({ basis: "upstream", upstream: { environmentName: "staging" }, environmentName: "prod", total: 2 });
    // c1 is in prod already; c4 came after 1.2.0.
    expect(got.items.map((c) => c.title)).toEqual(["Change 3", "Change 2"]);
    expect(got.items[0].url).toBe(`https://github.com/acme/checkout/commit/${c3.externalId}`);

    // A version that ran nowhere: the merged changes prod has not received.
    const unseen = await db.deploymentRequest.create({
      data: { serviceId: w.service.id, environmentId: w.envs.prod.id, version: "9.9.9", requesterId: w.developer.id, status: "pending_approval" },
    });
    const fallback = await (await as(w.developer)).deployments.changes({ id: unseen.id });
    expect(fallback.basis).toBe("unshipped");
    expect(fallback.items.map((c) => c.title)).toEqual(["Change 4", "Change 3", "Change 2"]);
  });

  it("offers the versions that succeeded upstream of the target, newest first; for the first environment, those seen", async () => {
    const dev = await as(w.developer);
    const prod = await dev.deployments.versionChoices({ serviceId: w.service.id, environmentId: w.envs.prod.id });
    expect(prod.basis).toBe("upstream");
    expect(prod.choices.map((c) => [c.version, c.environments])).toEqual([
      ["1.3.0", ["staging"]],
      ["1.2.0", ["staging"]],
      ["1.1.0", ["staging"]],
    ]);
    const first = await dev.deployments.versionChoices({ serviceId: w.service.id, environmentId: w.envs.dev.id });
    expect(first.basis).toBe("seen");
    expect(first.choices[0].version).toBe("1.3.0");
    expect(first.choices.find((c) => c.version === "1.1.0")?.environments).toEqual(["prod", "staging"]);
    await expect((await callerFor(null)).deployments.versionChoices({ serviceId: w.service.id, environmentId: w.envs.dev.id })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(dev.deployments.versionChoices({ serviceId: w.service.id, environmentId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("gives the service's recent deployment outcomes oldest first, per environment if asked", async () => {
    const dev = await as(w.developer);
    const all = await dev.deployments.recentOutcomes({ serviceId: w.service.id });
    expect(all.items.map((d) => `${d.environmentName} ${d.version}`)).toEqual(["staging 1.1.0", "prod 1.1.0", "staging 1.2.0", "staging 1.3.0"]);
    expect(all.counts).toEqual({ succeeded: 4, failed: 0, rolledBack: 0 });
    const prod = await dev.deployments.recentOutcomes({ serviceId: w.service.id, environmentName: "prod", limit: 1 });
    expect(prod.items.map((d) => d.version)).toEqual(["1.1.0"]);
    await expect((await callerFor(null)).deployments.recentOutcomes({ serviceId: w.service.id })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("puts the user's own teams' services first in the request form", async () => {
    const admin = await callerFor((await makeUser("admin", [w.otherTeam.id])).id);
    const other = await getDb().service.create({ data: { slug: `growth-${Date.now()}`, name: "ZZZ growth", teamId: w.otherTeam.id } });
    const options = await admin.deployments.formOptions();
    expect(options[0]).toMatchObject({ id: other.id, mine: true });
    expect(options.find((o) => o.id === w.service.id)?.mine).toBe(false);
  });

  it("refuses anonymous callers and unknown requests", async () => {
    await expect((await callerFor(null)).deployments.changes({ id: "x" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect((await as(w.developer)).deployments.changes({ id: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("links GitHub commits and PRs only, and states the risk scale", () => {
    expect(changeUrl({ source: "github", repository: "acme/x", externalId: "pr-acme/x#12" })).toBe("https://github.com/acme/x/pull/12");
    expect(changeUrl({ source: "seed", repository: "acme/x", externalId: "abcdef1" })).toBeNull();
    expect(changeUrl({ source: "github", repository: "javascript:alert(1)", externalId: "abcdef1" })).toBeNull();
    expect([riskLevel(0), riskLevel(29), riskLevel(30), riskLevel(59), riskLevel(60), riskLevel(100)]).toEqual([
      "low",
      "low",
      "medium",
      "medium",
      "high",
      "high",
    ]);
    expect(RISK_SCALE_TEXT).toContain("0–100");
  });
});
