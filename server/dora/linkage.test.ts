// Change ↔ deployment linkage from what was deployed, incident attribution with evidence, the live version.
// Hand-worked: every expected deployment, rule and lead time below is computed from the times in the comments.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { recordChange, recordDeployment, recordIncident, type ChangeInput, type DeploymentInput } from "./canonical";
import { liveVersions } from "./live-version";
import { relinkChanges } from "./linkage";
import { at, ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { uid } from "../../test/support/factories";

const H = 3600;
let svc: string;
let serviceId: string;

beforeAll(async () => {
  await ensureEnvironments();
  svc = `lk-${uid()}`;
  serviceId = (await makeService(undefined, svc)).id;
});

const deploy = (d: Partial<DeploymentInput> & { externalId: string; deployedAt: Date }) =>
  transaction(getDb(), (tx) => recordDeployment(tx, { source: "t", serviceName: svc, environmentName: "prod", status: "succeeded", ...d }));
const change = (c: Partial<ChangeInput> & { externalId: string }) => transaction(getDb(), (tx) => recordChange(tx, { source: "t", serviceName: svc, ...c }));
const linksOf = async (externalId: string) => {
  const rows = await getDb().deploymentChange.findMany({
    where: { change: { externalId, serviceName: svc } },
    include: { deployment: { select: { externalId: true } } },
    orderBy: { environmentName: "asc" },
  });
  return rows.map((r) => [r.environmentName, r.deployment.externalId, r.linkedBy, r.startKind, r.leadTimeSeconds]);
};

describe("changes ship with the first deployment whose content contains them", () => {
  it("credits prod with what it deployed, not with everything merged before it; a redeploy ships nothing", async () => {
    // c1 merged 09:00 (commit aaa1111), c2 merged 11:00 (commit bbb2222, first commit 08:00 the day before).
    await change({ externalId: "c1", commitSha: "aaa1111", mergedAt: at("2026-05-04T09:00:00Z") });
    await change({ externalId: "c2", commitSha: "bbb2222", mergedAt: at("2026-05-04T11:00:00Z"), firstCommitAt: at("2026-05-03T08:00:00Z") });
    // staging gets bbb2222 at 12:00 (contains c1 and c2); prod gets aaa1111 at 13:00 (contains c1 only).
    await deploy({ externalId: "stg-b", environmentName: "staging", revision: "bbb2222", deployedAt: at("2026-05-04T12:00:00Z") });
    await deploy({ externalId: "prod-a", revision: "aaa1111", deployedAt: at("2026-05-04T13:00:00Z") });
    // A redeploy of aaa1111 at 14:00 ships nothing; prod gets bbb2222 at 16:00.
    await deploy({ externalId: "prod-a-again", revision: "aaa1111", deployedAt: at("2026-05-04T14:00:00Z") });
    await deploy({ externalId: "prod-b", revision: "bbb2222", deployedAt: at("2026-05-04T16:00:00Z") });

    expect(await linksOf("c1")).toEqual([
      ["prod", "prod-a", "revision", "merge", 4 * H], // 13:00 − 09:00 (merge: no first commit known)
      ["staging", "stg-b", "revision", "merge", 3 * H],
    ]);
    // Merged before prod-a but not in aaa1111: shipped to prod by prod-b, from its first commit (32 h).
    expect(await linksOf("c2")).toEqual([
      ["prod", "prod-b", "revision", "first_commit", 32 * H],
      ["staging", "stg-b", "revision", "first_commit", 28 * H],
    ]);
    const redeploy = await getDb().deployment.findFirstOrThrow({ where: { externalId: "prod-a-again", serviceName: svc }, include: { shipped: true } });
    expect(redeploy.shipped).toEqual([]);
    // Change.deploymentId names the deployment that took it to production.
    const c2 = await getDb().change.findFirstOrThrow({ where: { externalId: "c2", serviceName: svc }, include: { deployment: true } });
    expect(c2.deployment?.externalId).toBe("prod-b");
  });

  it("falls back to merge order when a deployment says nothing about its content, and re-links once its revision is known", async () => {
    await change({ externalId: "c3", commitSha: "ccc3333", mergedAt: at("2026-05-05T09:00:00Z") });
    // No revision: every change merged before it (c3) by merge order.
    await deploy({ externalId: "prod-norev", deployedAt: at("2026-05-05T10:00:00Z") });
    expect(await linksOf("c3")).toEqual([["prod", "prod-norev", "merge_order", "merge", 1 * H]]);
    // A deployment of ddd4444, whose change Pier has not seen yet: fallback too…
    await change({ externalId: "c4", commitSha: "eee5555", mergedAt: at("2026-05-05T11:00:00Z") });
    await deploy({ externalId: "prod-d", revision: "ddd4444", deployedAt: at("2026-05-05T12:00:00Z") });
    expect(await linksOf("c4")).toEqual([["prod", "prod-d", "merge_order", "merge", 1 * H]]);
    // …until the change with commit ddd4444 arrives (merged 10:30): prod-d contains d4 (c3 already shipped), not c4 (merged 11:00).
    await change({ externalId: "d4", commitSha: "ddd4444", mergedAt: at("2026-05-05T10:30:00Z") });
    expect(await linksOf("d4")).toEqual([["prod", "prod-d", "revision", "merge", 1.5 * H]]);
    expect(await linksOf("c4")).toEqual([]);
    await deploy({ externalId: "prod-e", revision: "eee5555", deployedAt: at("2026-05-05T15:00:00Z") });
    expect(await linksOf("c4")).toEqual([["prod", "prod-e", "revision", "merge", 4 * H]]);
  });

  it("uses the list of changes a deployment carries, and a late earlier deployment takes its changes back", async () => {
    await change({ externalId: "PR-7", commitSha: "fff6666", mergedAt: at("2026-05-06T09:00:00Z") });
    await change({ externalId: "PR-8", commitSha: "abc7777", mergedAt: at("2026-05-06T09:30:00Z") });
    // A cherry-pick release lists only PR-8.
    await deploy({ externalId: "prod-list", shippedRefs: ["abc7777"], deployedAt: at("2026-05-06T12:00:00Z") });
    expect(await linksOf("PR-8")).toEqual([["prod", "prod-list", "listed", "merge", 2.5 * H]]);
    expect(await linksOf("PR-7")).toEqual([]);
    // An earlier deployment of abc7777 (contains both) arrives late: both move to it.
    await deploy({ externalId: "prod-early", revision: "abc7777", deployedAt: at("2026-05-06T10:00:00Z") });
    expect(await linksOf("PR-7")).toEqual([["prod", "prod-early", "revision", "merge", 1 * H]]);
    expect(await linksOf("PR-8")).toEqual([["prod", "prod-early", "revision", "merge", 0.5 * H]]);
  });

  it("moves a deployment's changes on when it turns out failed", async () => {
    await change({ externalId: "c9", commitSha: "999aaaa", mergedAt: at("2026-05-07T09:00:00Z") });
    await deploy({ externalId: "prod-f", revision: "999aaaa", deployedAt: at("2026-05-07T10:00:00Z") });
    await deploy({ externalId: "prod-g", revision: "999aaaa", deployedAt: at("2026-05-07T11:00:00Z") });
    expect(await linksOf("c9")).toEqual([["prod", "prod-f", "revision", "merge", 1 * H]]);
    await deploy({ externalId: "prod-f", revision: "999aaaa", status: "failed", deployedAt: at("2026-05-07T10:00:00Z") });
    expect(await linksOf("c9")).toEqual([["prod", "prod-g", "revision", "merge", 2 * H]]);
  });
});

describe("incident attribution", () => {
  const incident = (externalId: string, extra: Record<string, unknown>) =>
    transaction(getDb(), (tx) => recordIncident(tx, { source: "t", externalId, serviceName: svc, title: "Errors", ...extra }));

  it("takes evidence first (version, root-cause commit), then the same-service window of 24 h", async () => {
    // prod-b (bbb2222, version v-b) deployed 2026-05-04T16:00; later prod deployments exist on 05-05.
    await deploy({ externalId: "prod-b", revision: "bbb2222", version: "v-b", deployedAt: at("2026-05-04T16:00:00Z") });
    const byVersion = await incident("i-v", { version: "v-b", detectedAt: at("2026-05-08T00:00:00Z") });
    const prodB = await getDb().deployment.findFirstOrThrow({ where: { externalId: "prod-b", serviceName: svc } });
    expect([byVersion.deploymentId, byVersion.linkReason]).toEqual([prodB.id, "version"]);
    // "root cause: bbb2222" in the title (Four Keys' convention): the prod deployment that shipped c2.
    const byCommit = await incident("i-c", { title: "Checkout errors, root cause: bbb2222", detectedAt: at("2026-05-09T00:00:00Z") });
    expect([byCommit.deploymentId, byCommit.linkReason, byCommit.rootCauseRef]).toEqual([prodB.id, "commit", "bbb2222"]);
    // No evidence: the last prod deployment up to 24 h before (prod-g at 05-07T11:00).
    const byWindow = await incident("i-w", { detectedAt: at("2026-05-08T10:00:00Z") });
    const prodG = await getDb().deployment.findFirstOrThrow({ where: { externalId: "prod-g", serviceName: svc } });
    expect([byWindow.deploymentId, byWindow.linkReason]).toEqual([prodG.id, "window"]);
    // 25 h after: nothing.
    const none = await incident("i-n", { detectedAt: at("2026-05-08T12:00:00Z") });
    expect([none.deploymentId, none.linkReason]).toEqual([null, ""]);
    expect((await getDb().deployment.findUniqueOrThrow({ where: { id: prodB.id } })).hasIncident).toBe(true);
  });

  it("matches PagerDuty services by the service's alias list or its pagerduty.com/service-id annotation", async () => {
    const a = await makeService(undefined, `pd-${uid()}`);
    await getDb().service.update({ where: { id: a.id }, data: { incidentAliases: ["PXYZ123", "Checkout API"] } });
    const b = await makeService(undefined, `pd-${uid()}`);
    await getDb().service.update({ where: { id: b.id }, data: { annotations: { "pagerduty.com/service-id": "PABC999" } } });
    const ia = await transaction(getDb(), (tx) =>
      recordIncident(tx, {
        source: "pagerduty",
        externalId: `Q-${uid()}`,
        serviceName: "Storefront",
        serviceRef: "PXYZ123",
        title: "x",
        detectedAt: new Date(),
      }),
    );
    const ib = await transaction(getDb(), (tx) =>
      recordIncident(tx, { source: "pagerduty", externalId: `Q-${uid()}`, serviceName: "Whatever", serviceRef: "PABC999", title: "x", detectedAt: new Date() }),
    );
    const ic = await transaction(getDb(), (tx) =>
      recordIncident(tx, { source: "pagerduty", externalId: `Q-${uid()}`, serviceName: "Checkout API", title: "x", detectedAt: new Date() }),
    );
    expect([ia.serviceId, ia.serviceName]).toEqual([a.id, a.slug]);
    expect(ib.serviceId).toBe(b.id);
    expect(ic.serviceId).toBe(a.id);
  });
});

describe("live version", () => {
  it("keeps the latest succeeded deployment by event time, whatever the source and arrival order", async () => {
    await deploy({ externalId: "lv-2", source: "argocd", version: "2.0.0", environmentName: "dev", deployedAt: at("2026-05-10T12:00:00Z") });
    await deploy({ externalId: "lv-1", source: "github", version: "1.0.0", environmentName: "dev", deployedAt: at("2026-05-10T10:00:00Z") });
    await deploy({
      externalId: "lv-3",
      source: "cdevents",
      version: "3.0.0",
      environmentName: "dev",
      status: "failed",
      deployedAt: at("2026-05-10T13:00:00Z"),
    });
    const dev = (await liveVersions(getDb(), serviceId)).find((v) => v.environment === "dev");
    expect(dev).toMatchObject({ version: "2.0.0", source: "argocd" });
  });
});

describe("bulk relinking", () => {
  it("reproduces, set-based, every link the event-by-event path made above", async () => {
    const snapshot = async () =>
      (await getDb().deploymentChange.findMany({ where: { change: { serviceName: svc } }, orderBy: [{ changeId: "asc" }, { environmentName: "asc" }] })).map(
        (r) => [r.changeId, r.environmentName, r.deploymentId, r.linkedBy, r.startKind, r.leadTimeSeconds],
      );
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(8);
    await transaction(getDb(), (tx) => relinkChanges(tx, [svc]));
    expect(await snapshot()).toEqual(before);
  });
});
