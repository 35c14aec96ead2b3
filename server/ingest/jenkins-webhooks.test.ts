// Jenkins through the route modules (real Postgres + Redis) with the real payloads in fixtures/jenkins:
// the Notification plugin at /api/webhooks/jenkins (secret good, wrong, missing, rotated; duplicate phase; a 400
// naming the field; phases → one pipeline run; a deploy job → a deployment; an unknown job kept unmatched) and the
// CDEvents plugin's Java CloudEvent.toString() body at /api/events/cdevents (the cdevents-sdk-java 0.1.2 events,
// as the plugin's HTTP sink writes them) → pipeline runs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { POST as jenkinsPOST } from "@/app/api/webhooks/jenkins/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { processInboundEvent } from "./ingest-worker";
import { createIngestToken } from "./ingest-tokens";
import { cdeventFromJavaText, isJavaCloudEventText, jenkinsJobFullName, validateLegacyCdevent } from "./jenkins-cdevents";
import { createWebhookSecret, deleteWebhookSecret } from "./webhook-secrets";

const FIXTURES = path.join(SHARED_FIXTURES, "jenkins");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const COMPLETED = JSON.parse(fixture("notification-plugin.job-completed.json")) as { name: string; url: string; build: Record<string, unknown> };
const SECRET = "jenkins-notification-secret-1";
const NEXT_SECRET = "jenkins-notification-secret-2";

const send = (body: unknown, opts: { token?: string | null; bearer?: string } = {}) => {
  const token = opts.token === undefined ? SECRET : opts.token;
  const url = `http://pier.test/api/webhooks/jenkins${token ? `?token=${encodeURIComponent(token)}` : ""}`;
  return jenkinsPOST(
    new Request(url, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json", ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}) },
    }),
  );
};
/** The fixture at another phase/status/number (the plugin posts the same shape at every phase). */
const phase = (p: string, extra: Record<string, unknown> = {}, number = 18) => ({
  ...COMPLETED,
  build: { ...COMPLETED.build, number, url: `job/asgard/${number}/`, phase: p, ...extra },
});

async function deliver(body: unknown) {
  const res = await send(body);
  expect(res.status).toBe(202);
  return processInboundEvent(getDb(), (await res.json()).id);
}

/** What the CDEvents plugin's HTTP sink puts on the wire for a CDEvent (CloudEventV1.toString, signed bytes). */
function javaCloudEventText(cdevent: string, id = "cloudevent-1") {
  const e = JSON.parse(cdevent) as { context: { source: string; type: string; timestamp: string } };
  const bytes = [...Buffer.from(cdevent, "utf8")].map((b) => (b > 127 ? b - 256 : b));
  return (
    `CloudEvent{id='${id}', source=${e.context.source}, type='${e.context.type}', datacontenttype='application/json', dataschema=null, ` +
    `subject='null', time=${e.context.timestamp}, data=[${bytes.join(", ")}], extensions={}}`
  );
}

let ingestToken = "";
const sendPlugin = (body: string, token: string | null = ingestToken) =>
  cdeventsPOST(
    new Request(`http://pier.test/api/events/cdevents${token ? `?token=${token}` : ""}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    }),
  );

beforeAll(async () => {
  await ensureEnvironments();
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "jenkins_webhook", name: "Jenkins controller", secret: SECRET });
  const svc = await makeService(undefined, "asgard-web");
  await getDb().service.update({
    where: { id: svc.id },
    data: { annotations: { "jenkins.io/job-full-name": "asgard", "pier.dev/jenkins-deploy-jobs": "asgard=staging, other/deploy=prod" } },
  });
  const admin = await getDb().user.create({ data: { email: `jenkins-${Date.now()}@pier.test`, name: "Jenkins admin", role: "admin" } });
  ingestToken = (await createIngestToken(getDb(), { id: admin.id, label: admin.name }, "Jenkins CDEvents plugin")).token;
});

describe("Jenkins Notification plugin: the sender", () => {
  it("refuses a wrong or missing secret with 401 and stores nothing", async () => {
    const wrong = await send(phase("QUEUED", {}, 901), { token: "not-the-secret-at-all" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ field: "token" });
    const missing = await send(phase("QUEUED", {}, 902), { token: null });
    expect(missing.status).toBe(401);
    expect(await getDb().inboundEvent.count({ where: { source: "jenkins", externalId: { startsWith: "job/asgard/90" } } })).toBe(0);
    expect(await getDb().rejectedEvent.count({ where: { source: "jenkins" } })).toBeGreaterThan(0);
  });

  it("takes the secret as Authorization: Bearer too, and both secrets during a rotation", async () => {
    expect((await send(phase("QUEUED", {}, 903), { token: null, bearer: SECRET })).status).toBe(202);
    const next = await createWebhookSecret(getDb(), systemActor("test"), { kind: "jenkins_webhook", name: "Jenkins controller (new)", secret: NEXT_SECRET });
    expect((await send(phase("QUEUED", {}, 904), { token: NEXT_SECRET })).status).toBe(202);
    expect((await send(phase("QUEUED", {}, 905))).status).toBe(202);
    await deleteWebhookSecret(getDb(), systemActor("test"), next.id);
    expect((await send(phase("QUEUED", {}, 906), { token: NEXT_SECRET })).status).toBe(401);
  });

  it("answers a repeated phase of a build 200 duplicate, and refuses a body missing what Pier needs naming the field", async () => {
    expect((await send(phase("STARTED", {}, 907))).status).toBe(202);
    const again = await send(phase("STARTED", {}, 907));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const noPhase = await send({ ...COMPLETED, build: { ...COMPLETED.build, phase: undefined } });
    expect(noPhase.status).toBe(400);
    expect(await noPhase.json()).toMatchObject({ field: "build.phase" });
    expect(await (await send({ url: "job/x/", build: {} })).json()).toMatchObject({ field: "name" });
  });
});

describe("Jenkins Notification plugin → canonical rows", () => {
  it("phases of one build → one pipeline run on the annotated service; a deploy job's completed build → a deployment", async () => {
    expect(await deliver(phase("STARTED", { status: null }, 18))).toBe("processed");
    // The real fixture: COMPLETED, SUCCESS, with its scm commit.
    expect(await deliver(COMPLETED)).toBe("processed");
    const run = await getDb().pipelineRun.findUniqueOrThrow({ where: { source_externalId: { source: "jenkins", externalId: "build:job/asgard/18/" } } });
    expect(run).toMatchObject({
      status: "succeeded",
      serviceName: "asgard-web",
      sha: "c6d86dc654b12425e706bcf951adfe5a8627a517",
      ref: "origin/master",
      url: "http://localhost:8080/job/asgard/18/",
    });
    expect(run.serviceId).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();
    const deployment = await getDb().deployment.findFirstOrThrow({ where: { source: "jenkins", externalId: "build:job/asgard/18/:asgard-web" } });
    expect(deployment).toMatchObject({ status: "succeeded", environmentName: "staging", version: "c6d86dc654b12425e706bcf951adfe5a8627a517" });
    // FINALIZED repeats the outcome: still one run and one deployment.
    expect(await deliver(phase("FINALIZED", {}, 18))).toBe("processed");
    expect(await getDb().deployment.count({ where: { source: "jenkins", externalId: { startsWith: "build:job/asgard/18/" } } })).toBe(1);
  });

  it("a failed build is a failed run (and a failed deployment); ABORTED is canceled", async () => {
    expect(await deliver(phase("COMPLETED", { status: "FAILURE" }, 19))).toBe("processed");
    expect(await getDb().pipelineRun.findFirstOrThrow({ where: { source: "jenkins", externalId: "build:job/asgard/19/" } })).toMatchObject({
      status: "failed",
    });
    expect(await getDb().deployment.findFirstOrThrow({ where: { source: "jenkins", externalId: "build:job/asgard/19/:asgard-web" } })).toMatchObject({
      status: "failed",
    });
    expect(await deliver(phase("COMPLETED", { status: "ABORTED" }, 20))).toBe("processed");
    expect(await getDb().pipelineRun.findFirstOrThrow({ where: { source: "jenkins", externalId: "build:job/asgard/20/" } })).toMatchObject({
      status: "canceled",
    });
  });

  it("a job no service claims keeps its full name with no service (data quality), and no deployment", async () => {
    const body = { ...COMPLETED, name: "nightly", url: "job/team-x/job/nightly/", build: { ...COMPLETED.build, url: "job/team-x/job/nightly/7/" } };
    expect(await deliver(body)).toBe("processed");
    const run = await getDb().pipelineRun.findFirstOrThrow({ where: { source: "jenkins", externalId: "build:job/team-x/job/nightly/7/" } });
    expect(run).toMatchObject({ serviceId: null, serviceName: "nightly" });
    expect(await getDb().deployment.count({ where: { source: "jenkins", externalId: { startsWith: "build:job/team-x/" } } })).toBe(0);
  });

  it("reads a Jenkins job's full name from its URL path", () => {
    expect(jenkinsJobFullName("job/folder/job/app/")).toBe("folder/app");
    expect(jenkinsJobFullName("http://ci:8080/job/asgard/18/")).toBe("asgard");
    expect(jenkinsJobFullName("nothing")).toBeUndefined();
  });
});

describe("Jenkins CDEvents plugin → /api/events/cdevents", () => {
  const started = fixture("cdevents-sdk-java-v0.1.2.pipelinerun_started_optional.json");
  const finished = fixture("cdevents-sdk-java-v0.1.2.pipelinerun_finished_optional.json");

  it("decodes the plugin's Java CloudEvent.toString() body (signed bytes) into the CDEvent", () => {
    const text = javaCloudEventText(started.replace("test-pipeline-started", "pipeline-é"));
    expect(isJavaCloudEventText(Buffer.from(text))).toBe(true);
    const e = cdeventFromJavaText(Buffer.from(text)) as { subject: { content: { pipelineName: string } } };
    expect(e.subject.content.pipelineName).toBe("pipeline-é");
    expect(validateLegacyCdevent(e)).toMatchObject({ ok: true, specVersion: "0.1.2", knownType: true });
  });

  it("accepts the events as sent (token in the URL), once, and routes them to one pipeline run", async () => {
    const a = await sendPlugin(javaCloudEventText(started));
    expect(a.status).toBe(202);
    const again = await sendPlugin(javaCloudEventText(started));
    expect(again.status).toBe(200);
    expect(await processInboundEvent(getDb(), (await a.json()).id)).toBe("processed");
    const run = await getDb().pipelineRun.findUniqueOrThrow({
      where: { source_externalId: { source: "cdevents", externalId: "http://dev.cdevents#/dev/pipeline/run/subject" } },
    });
    expect(run).toMatchObject({ status: "running", kind: "pipeline", name: "test-pipeline-started", url: "http://dev/pipeline/url" });
    // The SDK's two samples are hours apart in the wrong order; the run finishes after it started here.
    const b = await sendPlugin(javaCloudEventText(finished.replace("2023-05-24T11:17:06Z", "2023-05-24T18:50:00Z")));
    expect(await processInboundEvent(getDb(), (await b.json()).id)).toBe("processed");
    expect(await getDb().pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({
      status: "succeeded",
      finishedAt: new Date("2023-05-24T18:50:00Z"),
    });
    // The unmodified sample (finished before it started) changes nothing: a run only moves forward.
    const c = await sendPlugin(javaCloudEventText(finished.replace("123456789", "older-finish")));
    expect(await processInboundEvent(getDb(), (await c.json()).id)).toBe("processed");
    expect(await getDb().pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({ finishedAt: new Date("2023-05-24T18:50:00Z") });
  });

  it("a task run event is a task run; without a token, or with a mangled body, it is refused naming the part", async () => {
    const task = await sendPlugin(javaCloudEventText(fixture("cdevents-sdk-java-v0.1.2.taskrun_started_optional.json")));
    expect(await processInboundEvent(getDb(), (await task.json()).id)).toBe("processed");
    expect(
      await getDb().pipelineRun.findFirstOrThrow({ where: { source: "cdevents", externalId: "http://dev.cdevents#/dev/task/run/subject" } }),
    ).toMatchObject({ kind: "task", status: "running" });
    expect((await sendPlugin(javaCloudEventText(started), null)).status).toBe(401);
    const mangled = await sendPlugin(javaCloudEventText(started).replace(/data=\[[^\]]*\]/, "data=null"));
    expect(mangled.status).toBe(400);
    expect(await mangled.json()).toMatchObject({ field: "data" });
    const noId = await sendPlugin(javaCloudEventText(started.replace('"id": "cbde772c-17ad-490d-aea0-41fb060d1483",', "")));
    expect(await noId.json()).toMatchObject({ field: "data.context.id" });
  });
});
