// Coordinated releases: dependency order (cycles refused), one approval under the strictest member's policy,
// members rolled out one after the other through the real request path and the outbox subscriber, hold and
// roll back together on failure, abort and reject, idempotent advancing under concurrent workers, access rules.
import { describe, expect, it } from "vitest";
import { getDb, transaction } from "../../db";
import { processOutboxJob, subscriber } from "../../bus/fanout";
import { as, makeWorld } from "../../../test/support/deployment-world";
import { uid } from "../../../test/support/factories";
import { buildEvidence } from "../evidence";
import { runDeployment } from "../execution";
import { EXECUTE_JOB } from "../scheduling";
import { dependencyOrder } from "./order";
import { strictestPolicy } from "./releases";
import { defaultPolicy } from "../approval-policy";
import { advanceReleases, advanceReleasesOf, RELEASE_MEMBER_EVENTS, RELEASE_SUBSCRIBER } from "./subscriber";

const db = () => getDb();
const code = async (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );
const releaseSubscriber = [subscriber(RELEASE_SUBSCRIBER, RELEASE_MEMBER_EVENTS, advanceReleases)];

/** Runs what the workers would: deployment jobs and the release subscriber's events, until nothing is left. */
async function pump(rounds = 30) {
  for (let i = 0; i < rounds; i++) {
    const rows = await db()
      .kysely.selectFrom("OutboxEvent")
      .select(["id", "type", "payload", "queue"])
      .where("processedAt", "is", null)
      .orderBy("createdAt")
      .orderBy("id")
      .execute();
    const work = rows.filter((r) => r.type === EXECUTE_JOB || (RELEASE_MEMBER_EVENTS as readonly string[]).includes(r.type));
    await db()
      .kysely.updateTable("OutboxEvent")
      .set({ processedAt: new Date() })
      .where(
        "id",
        "in",
        rows
          .filter((r) => !work.includes(r))
          .map((r) => r.id)
          .concat(["-"]),
      )
      .execute();
    if (!work.length) return;
    for (const r of work) {
      const payload = r.payload as Record<string, unknown>;
      if (r.type === EXECUTE_JOB) await runDeployment(db(), payload.requestId as string, { sleep: async () => undefined });
      else await processOutboxJob(db(), { outboxId: r.id, type: r.type, payload }, releaseSubscriber);
      await db().kysely.updateTable("OutboxEvent").set({ processedAt: new Date() }).where("id", "=", r.id).execute();
    }
  }
}

/** Two services in dev: the consumer (checkout, from makeWorld) depends on a provider (ledger) of the same team. */
async function releaseWorld(opts: { consumerFails?: boolean; providerApprovals?: number } = {}) {
  const w = await makeWorld({
    executorConfig: { durationMs: 0, failureRate: opts.consumerFails ? 1 : 0 },
    policies: { dev: { requiredApprovals: 0 } },
  });
  const provider = await db().service.create({ data: { slug: `ledger-${uid()}`, name: `Ledger ${uid()}`, teamId: w.team.id, tier: 1 } });
  for (const env of Object.values(w.envs)) {
    await db().serviceEnvironment.create({
      data: { serviceId: provider.id, environmentId: env.id, currentVersion: "3.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
    });
  }
  await db().approvalPolicy.create({
    data: {
      name: `ledger dev ${uid()}`,
      environmentId: w.envs.dev.id,
      serviceId: provider.id,
      requiredApprovals: opts.providerApprovals ?? 1,
      approverRole: "approver",
    },
  });
  await db().serviceDependency.create({ data: { fromServiceId: w.service.id, toServiceId: provider.id } });
  return { w, consumer: w.service, provider };
}

const input = (x: Awaited<ReturnType<typeof releaseWorld>>, extra: Record<string, unknown> = {}) => ({
  name: `Spring launch ${uid()}`,
  environmentId: x.w.envs.dev.id,
  onFailure: "rollback" as const,
  // Listed consumer first on purpose: the graph puts the provider first.
  members: [
    { serviceId: x.consumer.id, version: "1.1.0" },
    { serviceId: x.provider.id, version: "3.1.0" },
  ],
  ...extra,
});

const requestStatus = async (id: string) => (await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status;

describe("release order", () => {
  it("puts providers before consumers and refuses a cycle naming its services", () => {
    const s = (id: string) => ({ id, slug: id });
    const { order, after } = dependencyOrder(
      [s("web"), s("api"), s("db")],
      [
        { consumerId: "web", providerId: "api" },
        { consumerId: "api", providerId: "db" },
      ],
    );
    expect(order.map((x) => x.id)).toEqual(["db", "api", "web"]);
    expect(after.get("web")).toEqual(["api"]);
    expect(() =>
      dependencyOrder(
        [s("web"), s("api"), s("db")],
        [
          { consumerId: "web", providerId: "api" },
          { consumerId: "api", providerId: "web" },
        ],
      ),
    ).toThrow(/cycle.*api, web/);
  });

  it("the strictest policy has the most approvals, then the highest approver role", () => {
    const p = (requiredApprovals: number, approverRole: "approver" | "admin") => ({ policy: { ...defaultPolicy(true), requiredApprovals, approverRole } });
    expect(strictestPolicy([p(1, "approver"), p(2, "approver"), p(2, "admin")]).policy).toMatchObject({ requiredApprovals: 2, approverRole: "admin" });
  });

  it("a cycle in the catalog is a 400 naming the services, and writes nothing", async () => {
    const x = await releaseWorld();
    await db().serviceDependency.create({ data: { fromServiceId: x.provider.id, toServiceId: x.consumer.id } });
    const before = await db().deploymentRequest.count();
    const err = (await (await as(x.w.developer)).releases.create(input(x)).catch((e: unknown) => e)) as {
      code: string;
      message: string;
      cause?: { field?: string };
    };
    expect(err).toMatchObject({ code: "BAD_REQUEST" });
    expect(err.cause?.field).toBe("members");
    expect(err.message).toContain(x.provider.slug);
    expect(err.message).toContain(x.consumer.slug);
    expect(await db().deploymentRequest.count()).toBe(before);
    expect(await db().release.count({ where: { name: input(x).name } })).toBe(0);
  });

  it("bad members are a 4xx naming the member's field", async () => {
    const x = await releaseWorld();
    const dev = await as(x.w.developer);
    const bad = (m: { serviceId: string; version: string }[]) =>
      dev.releases.create({ ...input(x), members: m }).catch((e: { code: string; data?: unknown; cause?: unknown }) => e);
    const one = await bad([{ serviceId: x.consumer.id, version: "1.1.0" }]);
    expect(one).toMatchObject({ code: "BAD_REQUEST" });
    const version = (await bad([
      { serviceId: x.consumer.id, version: "1.1.0" },
      { serviceId: x.provider.id, version: "not a version!" },
    ])) as { code: string; message: string; cause?: { field?: string } };
    expect(version.code).toBe("BAD_REQUEST");
    expect(version.cause?.field).toBe("members.1.version");
    expect(version.message).toContain("not a version Pier understands");
    const dup = (await bad([
      { serviceId: x.consumer.id, version: "1.1.0" },
      { serviceId: x.consumer.id, version: "1.2.0" },
    ])) as { code: string; message: string; cause?: { field?: string } };
    expect(dup.message).toContain("once");
    expect(dup.cause?.field).toBe("members.1.serviceId");
  });
});

describe("a release end to end", () => {
  it("is approved once under the strictest policy, then rolls out provider first, consumer after it", async () => {
    const x = await releaseWorld();
    const dev = await as(x.w.developer);
    const { id } = await dev.releases.create(input(x));
    let view = await dev.releases.get({ id });
    expect(view.status).toBe("pending_approval");
    expect(view.members.map((m) => m.slug)).toEqual([x.provider.slug, x.consumer.slug]);
    expect(view.members[1].after).toEqual([x.provider.slug]);
    expect(view.members.map((m) => m.status)).toEqual(["draft", "draft"]);
    expect(view.policy).toMatchObject({ requiredApprovals: 1, fromService: x.provider.slug });
    expect(view.can.approve).toBe(false);
    // The creator and developers may not approve; an approver may.
    expect(await code(dev.releases.approve({ id }))).toBe("FORBIDDEN");
    expect(await code((await as(x.w.outsider)).releases.approve({ id }))).toBe("FORBIDDEN");
    const approver = await as(x.w.approver1);
    expect((await approver.releases.get({ id })).can.approve).toBe(true);
    expect(await approver.releases.approve({ id, comment: "go" })).toEqual({ status: "rolling_out", approvals: 1 });
    expect(await code(approver.releases.approve({ id }))).toBe("CONFLICT");
    view = await dev.releases.get({ id });
    expect(view.members.map((m) => m.status)).toEqual(["queued", "draft"]);
    await pump();
    view = await dev.releases.get({ id });
    expect(view.status).toBe("succeeded");
    expect(view.members.map((m) => m.status)).toEqual(["succeeded", "succeeded"]);
    const [p, c] = await Promise.all(view.members.map((m) => db().deploymentRequest.findUniqueOrThrow({ where: { id: m.requestId } })));
    expect(p.finishedAt!.getTime()).toBeLessThanOrEqual(c.startedAt!.getTime());
    const actions = view.timeline.filter((t) => !t.service).map((t) => t.action);
    expect(actions).toEqual([
      "release.created",
      "release.approval_recorded",
      "release.rolling_out",
      "release.member_started",
      "release.member_started",
      "release.succeeded",
    ]);
    const events = await db().outboxEvent.findMany({ where: { type: { startsWith: "release." } }, orderBy: { createdAt: "asc" } });
    expect(events.filter((e) => (e.payload as { data: { releaseId: string } }).data.releaseId === id).map((e) => e.type)).toEqual([
      "release.requested",
      "release.approved",
      "release.member_started",
      "release.member_started",
      "release.succeeded",
    ]);
    expect((await dev.releases.list()).find((r) => r.id === id)).toMatchObject({ status: "succeeded", memberCount: 2 });
    // Each member's change record keeps the promotion verdict it was created under, as a single request's does.
    const evidence = await buildEvidence(db(), { requestId: p.id });
    expect(evidence.records[0].promotionGate).toMatchObject({ ok: true, bypassed: false, gate: null });
  });

  it("a consumer failing rolls the provider back (the whole release together)", async () => {
    const x = await releaseWorld({ consumerFails: true, providerApprovals: 0 });
    const dev = await as(x.w.developer);
    // No member needs an approval: the release starts at once.
    const { id } = await dev.releases.create(input(x));
    await pump();
    const view = await dev.releases.get({ id });
    expect(view.status).toBe("rolled_back");
    expect(view.members.map((m) => m.status)).toEqual(["rolled_back", "failed"]);
    expect(view.members[0].rollbacks).toEqual([expect.objectContaining({ status: "succeeded", version: "3.0.0" })]);
    const live = await db().serviceEnvironment.findUniqueOrThrow({
      where: { serviceId_environmentId: { serviceId: x.provider.id, environmentId: x.w.envs.dev.id } },
    });
    expect(live.currentVersion).toBe("3.0.0");
  });

  it("with onFailure hold the release holds; aborting with rollBack then restores the provider", async () => {
    const x = await releaseWorld({ consumerFails: true, providerApprovals: 0 });
    const dev = await as(x.w.developer);
    const { id } = await dev.releases.create(input(x, { onFailure: "hold" }));
    await pump();
    expect((await dev.releases.get({ id })).status).toBe("held");
    expect(await code((await as(x.w.outsider)).releases.abort({ id }))).toBe("FORBIDDEN");
    expect(await dev.releases.abort({ id, rollBack: true, reason: "consumer broke" })).toEqual({ status: "rolling_back" });
    await pump();
    const view = await dev.releases.get({ id });
    expect(view.status).toBe("rolled_back");
    expect(view.members.map((m) => m.status)).toEqual(["rolled_back", "failed"]);
  });

  it("reject and abort cancel the members that never started", async () => {
    const x = await releaseWorld();
    const dev = await as(x.w.developer);
    const approver = await as(x.w.approver1);
    const a = await dev.releases.create(input(x));
    expect(await approver.releases.approve({ id: a.id, decision: "reject", comment: "not this week" })).toMatchObject({ status: "rejected" });
    expect((await dev.releases.get({ id: a.id })).members.map((m) => m.status)).toEqual(["cancelled", "cancelled"]);
    const b = await dev.releases.create(input(x));
    expect(await (await as(x.w.admin)).releases.abort({ id: b.id })).toEqual({ status: "aborted" });
    expect((await dev.releases.get({ id: b.id })).members.map((m) => m.status)).toEqual(["cancelled", "cancelled"]);
    expect(await code(dev.releases.abort({ id: b.id }))).toBe("CONFLICT");
  });
});

describe("safe with many workers", () => {
  it("advancing the same release from concurrent workers and redelivered events starts the next member once", async () => {
    const x = await releaseWorld({ providerApprovals: 0 });
    const dev = await as(x.w.developer);
    const { id } = await dev.releases.create(input(x));
    const members = await db().releaseMember.findMany({ where: { releaseId: id }, orderBy: { position: "asc" } });
    await runDeployment(db(), members[0].requestId, { sleep: async () => undefined });
    expect(await requestStatus(members[0].requestId)).toBe("succeeded");
    await Promise.all(Array.from({ length: 4 }, () => transaction(db(), (tx) => advanceReleasesOf(tx, [members[0].requestId]))));
    expect(await requestStatus(members[1].requestId)).toBe("queued");
    const approvals = await db().auditEvent.count({ where: { subjectId: members[1].requestId, action: "deployment.approved" } });
    expect(approvals).toBe(1);
    const started = await db().auditEvent.count({ where: { subjectId: id, action: "release.member_started" } });
    expect(started).toBe(2);
  });

  it("anonymous callers get nothing; developers outside the owning team may not create a release", async () => {
    const x = await releaseWorld();
    const anon = await as(null);
    expect(await code(anon.releases.list())).toBe("UNAUTHORIZED");
    expect(await code(anon.releases.get({ id: "x" }))).toBe("UNAUTHORIZED");
    expect(await code(anon.releases.create(input(x)))).toBe("UNAUTHORIZED");
    expect(await code(anon.releases.approve({ id: "x" }))).toBe("UNAUTHORIZED");
    expect(await code(anon.releases.abort({ id: "x" }))).toBe("UNAUTHORIZED");
    expect(await code((await as(x.w.outsider)).releases.create(input(x)))).toBe("FORBIDDEN");
    expect(await code((await as(x.w.developer)).releases.get({ id: "nope" }))).toBe("NOT_FOUND");
    // The form offers a developer their team's services only; approvers see every service.
    const mine = await (await as(x.w.developer)).releases.formOptions();
    expect(mine.services.map((s) => s.id).sort()).toEqual([x.consumer.id, x.provider.id].sort());
    expect((await (await as(x.w.outsider)).releases.formOptions()).services.some((s) => s.id === x.provider.id)).toBe(false);
    expect((await (await as(x.w.approver2)).releases.formOptions()).services.some((s) => s.id === x.provider.id)).toBe(true);
    expect(await code(anon.releases.formOptions())).toBe("UNAUTHORIZED");
    // Approvers coordinate across teams.
    expect(await code((await as(x.w.approver2)).releases.create(input(x)))).toBe("OK");
  });
});
