// GitLab webhooks through the route module (real Postgres + Redis) with GitLab's real payloads (fixtures/gitlab):
// the token (good, wrong, missing, rotated, none configured), Idempotency-Key de-duplication, intake refusals naming
// the field, and the worker's canonical rows: pipeline and job runs, a deployment, changes from a merge and a push,
// the project mapped by the gitlab.com/project-slug annotation, an unknown project kept for data quality.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as gitlabPOST } from "@/app/api/webhooks/gitlab/route";
import { systemActor } from "../audit/audit-log";
import { getDb, sql } from "../db";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { gitlabTime, matchesSharedSecret } from "./gitlab-webhooks";
import { processInboundEvent } from "./ingest-worker";
import { createWebhookSecret, deleteWebhookSecret } from "./webhook-secrets";

const FIXTURES = path.join(SHARED_FIXTURES, "gitlab");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const SECRET = "gitlab-hook-token-for-tests";
const NEXT_SECRET = "gitlab-hook-token-rotated-in";

const send = (body: Buffer | string, headers: Record<string, string>) =>
  gitlabPOST(
    new Request("http://pier.test/api/webhooks/gitlab", {
      method: "POST",
      body: typeof body === "string" ? body : new Uint8Array(body),
      headers: { "content-type": "application/json", ...headers },
    }),
  );
const hook = (event: string, key: string, token = SECRET) => ({ "x-gitlab-event": event, "x-gitlab-token": token, "idempotency-key": key });

/** Sends a fixture, then runs the worker on it as the ingest job would. */
async function deliver(file: string, event: string, key: string) {
  const res = await send(fixture(file), hook(event, key));
  expect(res.status).toBe(202);
  const { id } = await res.json();
  return processInboundEvent(getDb(), id);
}

beforeAll(async () => {
  await ensureEnvironments();
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "gitlab_webhook", name: "GitLab group", secret: SECRET });
  // The deployment fixture's project, mapped by annotation to a service whose slug is unrelated to the project name.
  const svc = await makeService(undefined, "deploy-hooks-svc");
  await getDb().service.update({ where: { id: svc.id }, data: { annotations: { "gitlab.com/project-slug": "root/test-deployment-webhooks" } } });
  // The pipeline/job fixtures' project "gitlab-org/gitlab-test" matches by its last segment.
  await makeService(undefined, "gitlab-test");
});

describe("GitLab webhook authentication", () => {
  it("compares the token in constant time against every configured secret", () => {
    expect(matchesSharedSecret(SECRET, ["other-secret-value", SECRET])).toBe(true);
    expect(matchesSharedSecret(SECRET + "x", [SECRET])).toBe(false);
    expect(matchesSharedSecret(null, [SECRET])).toBe(false);
  });

  it("refuses a wrong or missing X-Gitlab-Token with 401 naming the header, and stores nothing", async () => {
    const wrong = await send(fixture("push.json"), hook("Push Hook", "auth-1", "not-the-token-at-all"));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ field: "X-Gitlab-Token" });
    const missing = await send(fixture("push.json"), { "x-gitlab-event": "Push Hook", "idempotency-key": "auth-2" });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ field: "X-Gitlab-Token" });
    expect(await getDb().inboundEvent.count({ where: { source: "gitlab", externalId: { in: ["auth-1", "auth-2"] } } })).toBe(0);
    expect(await getDb().rejectedEvent.count({ where: { source: "gitlab" } })).toBeGreaterThan(0);
  });

  it("accepts both tokens during a rotation, then only the new one", async () => {
    const next = await createWebhookSecret(getDb(), systemActor("test"), { kind: "gitlab_webhook", name: "GitLab group (new)", secret: NEXT_SECRET });
    expect((await send(fixture("push.json"), hook("Push Hook", "rot-1", NEXT_SECRET))).status).toBe(202);
    expect((await send(fixture("push.json"), hook("Push Hook", "rot-2", SECRET))).status).toBe(202);
    await deleteWebhookSecret(getDb(), systemActor("test"), next.id);
    expect((await send(fixture("push.json"), hook("Push Hook", "rot-3", NEXT_SECRET))).status).toBe(401);
  });
});

describe("GitLab deliveries", () => {
  it("stores the delivery as sent: its JSON text, not a re-serialised copy (numbers beyond 2^53 keep their digits)", async () => {
    const text = fixture("job.json")
      .toString("utf8")
      .replace(/^\s*\{/, '{"pier_test_big": 12345678901234567891, ');
    const res = await send(text, hook("Job Hook", "as-sent-1"));
    expect(res.status).toBe(202);
    const { id } = await res.json();
    const row = await getDb()
      .kysely.selectFrom("InboundEvent")
      .select([sql<string>`payload->>'pier_test_big'`.as("big"), sql<string>`payload->>'object_kind'`.as("kind")])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ big: "12345678901234567891", kind: "build" });
  });

  it("de-duplicates on Idempotency-Key (GitLab's retries keep it) and answers 200 for the repeat", async () => {
    const first = await send(fixture("job.json"), hook("Job Hook", "dup-1"));
    expect(first.status).toBe(202);
    const again = await send(fixture("job.json"), hook("Job Hook", "dup-1"));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(await getDb().inboundEvent.count({ where: { source: "gitlab", externalId: "dup-1" } })).toBe(1);
  });

  it("without Idempotency-Key (older GitLab) de-duplicates by the body, not by the shared X-Gitlab-Event-UUID", async () => {
    const headers = { "x-gitlab-event": "Job Hook", "x-gitlab-token": SECRET, "x-gitlab-event-uuid": "shared-uuid" };
    expect((await send(fixture("job.json"), headers)).status).toBe(202);
    expect((await send(fixture("job.json"), headers)).status).toBe(200);
    expect((await send(fixture("pipeline.json"), { ...headers, "x-gitlab-event": "Pipeline Hook" })).status).toBe(202);
  });

  it("refuses a delivery missing what Pier needs with 400 naming the field", async () => {
    const deployment = JSON.parse(fixture("deployment.json").toString("utf8"));
    delete deployment.environment;
    const res = await send(JSON.stringify(deployment), hook("Deployment Hook", "bad-1"));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "environment" });
    const noKind = await send(JSON.stringify({ ref: "main" }), hook("Push Hook", "bad-2"));
    expect(await noKind.json()).toMatchObject({ field: "object_kind" });
    const notJson = await send("{not json", hook("Push Hook", "bad-3"));
    expect(notJson.status).toBe(400);
    expect(await getDb().inboundEvent.count({ where: { source: "gitlab", externalId: { in: ["bad-1", "bad-2", "bad-3"] } } })).toBe(0);
  });

  it("reads GitLab's own time formats", () => {
    expect(gitlabTime("2016-08-12 15:23:28 UTC")?.toISOString()).toBe("2016-08-12T15:23:28.000Z");
    expect(gitlabTime("2021-04-28 21:50:00 +0200")?.toISOString()).toBe("2021-04-28T19:50:00.000Z");
    expect(gitlabTime("2017-12-10T08:28:36-08:00")?.toISOString()).toBe("2017-12-10T16:28:36.000Z");
    expect(gitlabTime("yesterday")).toBeNull();
  });
});

describe("GitLab events → canonical rows", () => {
  it("a deployment hook → a deployment with environment, the full commit sha and status, on the annotated service", async () => {
    // The answer only stores the delivery: nothing is translated before the worker runs, however slow it is.
    const res = await send(fixture("deployment.json"), hook("Deployment Hook", "deploy-1"));
    expect(res.status).toBe(202);
    const { id } = await res.json();
    expect(await getDb().inboundEvent.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "pending", type: "deployment" });
    expect(await getDb().deployment.count({ where: { source: "gitlab" } })).toBe(0);
    expect(await processInboundEvent(getDb(), id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "gitlab", externalId: "15" } });
    expect(d).toMatchObject({
      serviceName: "deploy-hooks-svc",
      environmentName: "staging",
      version: "279484c09fbe69ededfced8c1bb6e6d24616b468",
      status: "succeeded",
      deployedAt: new Date("2021-04-28T19:50:00Z"),
    });
    expect(d.serviceId).not.toBeNull();
    expect(d.environmentId).not.toBeNull();
  });

  it("a pipeline hook → a pipeline run; a job hook → a task run (both on the service matching the project)", async () => {
    expect(await deliver("pipeline.json", "Pipeline Hook", "pipe-1")).toBe("processed");
    const run = await getDb().pipelineRun.findFirstOrThrow({ where: { source: "gitlab", externalId: "pipeline:31" } });
    expect(run).toMatchObject({
      kind: "pipeline",
      serviceName: "gitlab-test",
      name: "pipeline_name",
      status: "succeeded",
      ref: "master",
      sha: "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
      startedAt: new Date("2016-08-12T15:23:28Z"),
      finishedAt: new Date("2016-08-12T15:26:29Z"),
    });
    expect(run.serviceId).not.toBeNull();
    // GitLab's "running" event for the same pipeline, processed late, does not undo the finished run.
    const running = JSON.parse(fixture("pipeline.json").toString("utf8"));
    Object.assign(running.object_attributes, { status: "running", finished_at: null });
    const late = await send(JSON.stringify(running), hook("Pipeline Hook", "pipe-1-running"));
    expect(await processInboundEvent(getDb(), (await late.json()).id)).toBe("processed");
    expect(await getDb().pipelineRun.findFirstOrThrow({ where: { source: "gitlab", externalId: "pipeline:31" } })).toMatchObject({
      status: "succeeded",
      finishedAt: new Date("2016-08-12T15:26:29Z"),
    });
    expect(await deliver("job.json", "Job Hook", "job-1")).toBe("processed");
    const job = await getDb().pipelineRun.findFirstOrThrow({ where: { source: "gitlab", externalId: "job:1977" } });
    expect(job).toMatchObject({
      kind: "task",
      name: "test / test",
      status: "queued",
      sha: "2293ada6b400935a1378653304eaf6221e0fdb8f",
      serviceName: "gitlab-test",
    });
  });

  it("a merged merge request → a change keyed by the merge commit, authored at its first known time", async () => {
    expect(await deliver("merge_request.merged.json", "Merge Request Hook", "mr-1")).toBe("processed");
    const c = await getDb().change.findFirstOrThrow({ where: { source: "gitlab", externalId: "78a76ee6b4992a6baf64c59fc4c44c7323d60438" } });
    // The last commit (08:28:36 -08:00 = 16:28:36 UTC) predates the MR (17:01:11 UTC): the change starts there.
    expect(c).toMatchObject({
      serviceName: "hello-world",
      repository: "gitlab-org/hello-world",
      title: "update readme",
      authoredAt: new Date("2017-12-10T16:28:36Z"),
      mergedAt: new Date("2017-12-10T17:08:07Z"),
    });
    // Unknown project: kept as sent with no service, which the data-quality page lists.
    expect(c.serviceId).toBeNull();
  });

  it("a push to the default branch → one change per commit, merged when the head reached the branch", async () => {
    expect(await deliver("push.json", "Push Hook", "push-1")).toBe("processed");
    const changes = await getDb().change.findMany({ where: { source: "gitlab", repository: "mike/diaspora" }, orderBy: { authoredAt: "asc" } });
    expect(changes.map((c) => [c.externalId, c.authoredAt.toISOString(), c.mergedAt?.toISOString()])).toEqual([
      ["b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "2011-12-12T12:27:31.000Z", "2012-01-03T21:36:29.000Z"],
      ["da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "2012-01-03T21:36:29.000Z", "2012-01-03T21:36:29.000Z"],
    ]);
  });

  it("a push to another branch is stored and ignored", async () => {
    const push = JSON.parse(fixture("push.json").toString("utf8"));
    push.ref = "refs/heads/feature";
    const res = await send(JSON.stringify(push), hook("Push Hook", "push-feature"));
    const { id } = await res.json();
    expect(await processInboundEvent(getDb(), id)).toBe("ignored");
  });
});
