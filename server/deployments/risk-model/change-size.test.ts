// The size of the change as the risk model sees it, and the request form's preview of the learned risk, on real
// Postgres. Size: the changes in the requested version (shipped where that version ran first, up to then) that the
// target environment had not received when the request was made; with no upstream run, the merged changes it had
// not received; unknown (null, its own indicator) while the service had no change history. Preview: the same facts
// for the request being entered, scored now; only those who may request the service's deployments may ask; bad
// input is refused naming the field; no learned model yet says so.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db";
import { outcome } from "../../../test/support/catalog-builders";
import { as, makeWorld, type World } from "../../../test/support/deployment-world";
import { encode, FEATURE_NAMES, requestFacts } from "./features";
import { sigmoid } from "./logistic-regression";
import { appendRiskModel } from "./risk-model-store";
import { trainRiskModel } from "./training";

const HOUR = 3_600_000;
// Last week's Monday, 10:00 UTC: recent, as the size of a change looks back 90 days from when a request is made
// (the preview's "now" is the clock's).
const T = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 10 * HOUR - (((new Date().getUTCDay() + 6) % 7) + 7) * 86_400_000);
const at = (hours: number) => new Date(T.getTime() + hours * HOUR);
let w: World;
let bare: World; // a service with no change history

async function change(id: string, mergedAt: Date, service = w.service) {
  await getDb()
    .kysely.insertInto("Change")
    .values({ id, source: "test", externalId: id, serviceId: service.id, serviceName: service.slug, authoredAt: mergedAt, mergedAt })
    .execute();
}

/** A deployment of `version` to `env` at `deployedAt` that shipped `changeIds` there. */
async function deployment(id: string, env: keyof World["envs"], version: string, deployedAt: Date, changeIds: string[], isRollback = false) {
  const k = getDb().kysely;
  const e = w.envs[env];
  await k
    .insertInto("Deployment")
    .values({
      id,
      source: "pier",
      serviceId: w.service.id,
      serviceName: w.service.slug,
      environmentId: e.id,
      environmentName: e.name,
      version,
      status: "succeeded",
      isRollback,
      deployedAt,
    })
    .execute();
  for (const changeId of changeIds)
    await k
      .insertInto("DeploymentChange")
      .values({ deploymentId: id, changeId, serviceId: w.service.id, environmentId: e.id, environmentName: e.name, deployedAt, leadTimeSeconds: 0 })
      .execute();
}

/** A request that never finished (cancelled): described, never trained on. */
async function request(id: string, env: keyof World["envs"], version: string, createdAt: Date, service = w.service) {
  await getDb()
    .kysely.insertInto("DeploymentRequest")
    .values({
      id,
      serviceId: service.id,
      environmentId: w.envs[env].id,
      version,
      previousVersion: "1.0.0",
      requesterId: w.developer.id,
      status: "cancelled",
      createdAt,
      updatedAt: createdAt,
    })
    .execute();
}

beforeAll(async () => {
  w = await makeWorld({ tier: 2 });
  bare = await makeWorld({ tier: 2 });
  // c1 went out with 1.0.0 everywhere; c2, c3 are in 1.1.0 (dev at T−2h, prod only at T+2h); c4 was merged after
  // 1.1.0 left dev; c5, c6 after T; 1.2.0 (dev at T+4h) holds c4–c6.
  await change("c1", at(-5));
  await change("c2", at(-4));
  await change("c3", at(-3));
  await change("c4", at(-1));
  await change("c5", at(3));
  await change("c6", at(3.5));
  await deployment("dev-100", "dev", "1.0.0", at(-4.8), ["c1"]);
  await deployment("prod-100", "prod", "1.0.0", at(-4.5), ["c1"]);
  await deployment("dev-110", "dev", "1.1.0", at(-2), ["c2", "c3"]);
  // A rollback to 1.1.0 in staging restores it; it is not where the version's contents are read.
  await deployment("stg-110-rollback", "staging", "1.1.0", at(-1.5), [], true);
  await deployment("prod-110", "prod", "1.1.0", at(2), ["c2", "c3"]);
  await deployment("dev-120", "dev", "1.2.0", at(4), ["c4", "c5", "c6"]);
});

describe("size of the change", () => {
  it("counts the changes the requested version brings that the environment had not received when it was requested", async () => {
    await request("to-prod-at-T", "prod", "1.1.0", T); // c1–c3 in 1.1.0 (as dev had it), minus c1 in prod: 2
    await request("to-prod-later", "prod", "1.1.0", at(3)); // prod had c1–c3 by then: 0
    await request("to-dev-at-T", "dev", "1.2.0", T); // 1.2.0 ran nowhere before T: merged by then, not in dev: c4
    await request("before-history", "prod", "1.1.0", at(-6)); // no change merged yet: unknown
    await request("other-service", "prod", "1.1.0", T, bare.service); // no change history at all: unknown
    const facts = await requestFacts(getDb().kysely, { ids: ["to-prod-at-T", "to-prod-later", "to-dev-at-T", "before-history", "other-service"] });
    const changes = Object.fromEntries(facts.map((f) => [f.id, f.changes]));
    expect(changes).toEqual({ "to-prod-at-T": 2, "to-prod-later": 0, "to-dev-at-T": 1, "before-history": null, "other-service": null });

    // Encoded as log2(1 + n), with unknown as its own indicator (not as 0 changes).
    const feature = (id: string, name: string) => encode(facts.find((f) => f.id === id)!)[FEATURE_NAMES.indexOf(name)];
    expect(feature("to-prod-at-T", "changes")).toBeCloseTo(Math.log2(3), 12);
    expect(feature("to-prod-at-T", "changes_unknown")).toBe(0);
    expect(feature("to-prod-later", "changes")).toBe(0);
    expect(feature("to-prod-later", "changes_unknown")).toBe(0);
    expect(feature("before-history", "changes")).toBe(0);
    expect(feature("before-history", "changes_unknown")).toBe(1);
  });

  it("describes a request not made yet with the same query, as if made at the given time", async () => {
    const draft = {
      serviceId: w.service.id,
      environmentId: w.envs.prod.id,
      version: "1.1.0",
      previousVersion: "1.0.0",
      strategy: "canary" as const,
      targetNames: [],
    };
    const [atT] = await requestFacts(getDb().kysely, { draft: { ...draft, createdAt: T } });
    const [stored] = await requestFacts(getDb().kysely, { ids: ["to-prod-at-T"] });
    expect({ ...atT, id: stored.id, status: stored.status, strategy: stored.strategy }).toEqual(stored);
    expect(atT).toMatchObject({ id: "draft", status: "pending_approval", strategy: "canary", changes: 2, weekday: 1, hour: 10 });
    const [later] = await requestFacts(getDb().kysely, { draft: { ...draft, version: "1.2.0", createdAt: at(5) } });
    expect(later.changes).toBe(3); // c4–c6 as dev-120 had them
  });
});

describe("the request form's preview", () => {
  const input = (extra: Record<string, unknown> = {}) => ({
    serviceId: w.service.id,
    environmentId: w.envs.prod.id,
    version: "1.2.0",
    strategy: "rolling" as const,
    ...extra,
  });

  it("is for whoever may request the service's deployments: its team and admins", async () => {
    await expect((await as(null)).riskModel.preview(input())).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect((await as(w.outsider)).riskModel.preview(input())).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect((await as(w.approver1)).riskModel.preview(input())).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect((await as(w.developer)).riskModel.preview(input())).resolves.toMatchObject({ kind: "fallback" });
    await expect((await as(w.admin)).riskModel.preview(input())).resolves.toMatchObject({ kind: "fallback" });
  });

  it("refuses bad input naming the field", async () => {
    const dev = await as(w.developer);
    expect(await outcome(dev.riskModel.preview(input({ version: "  " })))).toMatchObject({ code: "BAD_REQUEST", fields: ["version"] });
    expect(await outcome(dev.riskModel.preview(input({ strategy: "big_bang" })))).toMatchObject({ code: "BAD_REQUEST", fields: ["strategy"] });
    expect(await outcome(dev.riskModel.preview(input({ targetNames: ["nowhere-1"] })))).toMatchObject({ code: "BAD_REQUEST", fields: ["targetNames"] });
    expect(await outcome(dev.riskModel.preview(input({ serviceId: "" })))).toMatchObject({ code: "BAD_REQUEST", fields: ["serviceId"] });
    expect(await outcome(dev.riskModel.preview(input({ environmentId: "no-such-env" })))).toMatchObject({ code: "NOT_FOUND", fields: ["environmentId"] });
  });

  it("says there is no learned model yet while training recorded a fallback", async () => {
    const dev = await as(w.developer);
    expect(await dev.riskModel.preview(input())).toEqual({ kind: "fallback", reason: "it has not been trained yet, so approvers see the hand-set score only" });
    await trainRiskModel(getDb());
    const preview = await dev.riskModel.preview(input());
    expect(preview.kind).toBe("fallback");
    expect(preview.kind === "fallback" && preview.reason).toContain("the model needs at least 200");
  });

  it("shows the learned P(failure) and its three main reasons, the size of the change among them", async () => {
    // A serving model with known weights (none on time of day, so the figure does not depend on when this runs).
    const weights = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0]));
    Object.assign(weights, { production: 1, minor_jump: 0.4, changes: 0.6, changes_unknown: 0.3 });
    await appendRiskModel(getDb().kysely, { kind: "logistic", finished: 300, failures: 40, trainedAt: new Date(), coefficients: { intercept: -2, weights } });
    // 1.2.0 to prod now: c1–c6 as dev had them, minus c1–c3 in prod → 3 changes; 1.0.0 → 1.2.0 is a minor jump.
    const preview = await (await as(w.developer)).riskModel.preview(input());
    expect(preview).toMatchObject({ kind: "estimate", changes: 3 });
    if (preview.kind !== "estimate") throw new Error("expected an estimate");
    expect(preview.probability).toBeCloseTo(sigmoid(-2 + 1 + 0.4 + 0.6 * Math.log2(4)), 12);
    expect(preview.reasons.map((r) => r.detail)).toEqual([
      "brings 3 changes raises risk",
      `deploying to production (${w.envs.prod.name}) raises risk`,
      "minor version jump 1.0.0 → 1.2.0 raises risk",
    ]);
    // A service with no change history: its size is unknown, and said so.
    const unknown = await (await as(bare.developer)).riskModel.preview({ ...input(), serviceId: bare.service.id });
    expect(unknown).toMatchObject({ kind: "estimate", changes: null });
    expect(unknown.kind === "estimate" && unknown.reasons.map((r) => r.feature)).toContain("changes_unknown");
  });
});
