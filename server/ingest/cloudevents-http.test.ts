// POST /api/events/cdevents in every mode the CDEvents CloudEvents binding allows (structured, batched, binary),
// on the spec's conformance examples; refusals name the field and store nothing; unknown versions never become
// DORA rows; unknown types are stored and counted; a date far in the future is flagged and not ranked first.
import { beforeAll, describe, expect, it } from "vitest";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { dataQualityReport } from "../dora/data-quality";
import { binaryHeaders, conformance, structured, type ConformanceEvent } from "../../test/support/cdevents-conformance";
import { createIngestToken } from "./ingest-tokens";
import { processInboundEvent } from "./ingest-worker";

let token: string;
beforeAll(async () => {
  token = (await createIngestToken(getDb(), systemActor("test"), "CI")).token;
});

const send = (body: unknown, headers: Record<string, string> = {}) =>
  cdeventsPOST(
    new Request("http://pier.test/api/events/cdevents", {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    }),
  );
const CE = { "content-type": "application/cloudevents+json" };
const BATCH = { "content-type": "application/cloudevents-batch+json" };
const stored = (externalId: string) => getDb().inboundEvent.findFirst({ where: { source: "cdevents", externalId } });
const deployed = (id: string) => conformance("v0.5.1", "service_deployed", id);

describe("CloudEvents structured mode (application/cloudevents+json)", () => {
  it("accepts a CloudEvent whose data is the CDEvent, stores the CDEvent, and the worker records the deployment", async () => {
    const res = await send(structured(deployed("ce-structured-1")), CE);
    expect(res.status).toBe(202);
    const row = await stored("ce-structured-1");
    expect(row).toMatchObject({ type: "dev.cdevents.service.deployed.0.3.0", specVersion: "0.5.1", knownType: true });
    expect((row!.payload as { context: { id: string } }).context.id).toBe("ce-structured-1");
    expect(row!.occurredAt?.toISOString()).toBe("2023-03-20T14:27:05.315Z");
    expect(await processInboundEvent(getDb(), row!.id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "cdevents", externalId: "ce-structured-1" } });
    // The conformance artifactId is pkg:oci/myapp@sha256%3A0b31…: the version is the decoded digest.
    expect(d.version).toBe("sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427");
  });

  it("accepts data_base64 carrying the CDEvent as JSON", async () => {
    const ce = structured(conformance("v0.4.1", "change_merged", "ce-b64-1"));
    ce.data_base64 = Buffer.from(JSON.stringify(ce.data)).toString("base64");
    delete ce.data;
    expect((await send(ce, CE)).status).toBe(202);
    expect(await stored("ce-b64-1")).toMatchObject({ specVersion: "0.4.1" });
  });

  it.each<[string, number, string, (ce: Record<string, unknown>) => void]>([
    ["a CloudEvents specversion other than 1.0", 400, "specversion", (ce) => (ce.specversion = "0.3")],
    ["no CloudEvents id", 400, "id", (ce) => delete ce.id],
    ["an id that is not the CDEvent's context.id", 400, "id", (ce) => (ce.id = "another-id")],
    ["a type that is not the CDEvent's type", 400, "type", (ce) => (ce.type = "dev.cdevents.service.upgraded.0.3.0")],
    ["a subject that is not the CDEvent's subject.id", 400, "subject", (ce) => (ce.subject = "someone-else")],
    ["a time that is not the CDEvent's timestamp", 400, "time", (ce) => (ce.time = "2024-01-01T00:00:00Z")],
    ["XML data", 415, "datacontenttype", (ce) => (ce.datacontenttype = "application/xml")],
    ["no data", 400, "data", (ce) => delete ce.data],
    ["a CDEvent refused by its schema", 400, "data.subject.content", (ce) => ((ce.data as ConformanceEvent).subject.content = "x")],
  ])("refuses %s (%i, naming %s) and stores nothing", async (_label, status, field, mutate) => {
    const ce = structured(deployed("ce-refused"));
    mutate(ce);
    const res = await send(ce, CE);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ field });
    expect(await stored("ce-refused")).toBeNull();
  });

  it("refuses other CloudEvents formats with 415", async () => {
    const res = await send(structured(deployed("ce-avro")), { "content-type": "application/cloudevents+avro" });
    expect(res.status).toBe(415);
  });
});

describe("CloudEvents batched mode (application/cloudevents-batch+json)", () => {
  it("accepts a batch of both spec releases, all-or-nothing, naming the index of a bad one", async () => {
    const batch = [
      structured(conformance("v0.5.1", "service_deployed", "ce-batch-1")),
      structured(conformance("v0.4.1", "pipelinerun_finished", "ce-batch-2")),
      structured(conformance("v0.5.1", "environment_created", "ce-batch-3")),
    ];
    const res = await send(batch, BATCH);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 3, duplicates: 0 });

    const bad = [structured(conformance("v0.5.1", "service_removed", "ce-batch-4")), structured(conformance("v0.5.1", "service_published", "ce-batch-5"))];
    (bad[1].data as ConformanceEvent).subject.content = "x";
    const refused = await send(bad, BATCH);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ field: "[1].data.subject.content" });
    expect(await stored("ce-batch-4")).toBeNull();

    const notArray = await send(structured(deployed("ce-batch-6")), BATCH);
    expect(notArray.status).toBe(400);
  });
});

describe("CloudEvents binary mode (ce-* headers)", () => {
  it("accepts the CDEvent as the body with the binding's headers", async () => {
    const e = conformance("v0.5.1", "taskrun_started", "ce-binary-1");
    const res = await send(e, binaryHeaders(e));
    expect(res.status).toBe(202);
    expect(await stored("ce-binary-1")).toMatchObject({ type: "dev.cdevents.taskrun.started.0.3.0" });
  });

  it.each<[string, Record<string, string | undefined>, number, string]>([
    ["ce-id differs from context.id", { "ce-id": "not-it" }, 400, "ce-id"],
    ["ce-source differs from context.source", { "ce-source": "/elsewhere" }, 400, "ce-source"],
    ["ce-specversion is not 1.0", { "ce-specversion": "0.3" }, 400, "ce-specversion"],
    ["ce-type is missing", { "ce-type": undefined }, 400, "ce-type"],
    ["the body is not JSON", { "content-type": "text/plain" }, 415, "Content-Type"],
  ])("refuses a request whose %s", async (_label, change, status, field) => {
    const e = conformance("v0.5.1", "taskrun_started", "ce-binary-refused");
    const headers: Record<string, string> = binaryHeaders(e);
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    const res = await send(e, headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ field });
    expect(await stored("ce-binary-refused")).toBeNull();
  });

  it("reads percent-encoded header values (HTTP binding 3.1.3.2)", async () => {
    const e = conformance("v0.5.1", "taskrun_started", "ce-binary-ü");
    const headers = { ...binaryHeaders(e), "ce-id": encodeURIComponent("ce-binary-ü") };
    expect((await send(e, headers)).status).toBe(202);
  });
});

describe("versions, unknown types and future dates", () => {
  it("refuses specversion 9.9.9: nothing is stored and no DORA row appears", async () => {
    const e = deployed("v999");
    e.context.specversion = "9.9.9";
    const res = await send(e);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "context.specversion" });
    expect(await stored("v999")).toBeNull();
    expect(await getDb().deployment.count({ where: { externalId: "v999" } })).toBe(0);
  });

  it("stores a custom type as unknown and counts it on the data-quality page", async () => {
    const res = await send(conformance("v0.5.1", "custom", "custom-1"));
    expect(res.status).toBe(202);
    const row = await stored("custom-1");
    expect(row).toMatchObject({ knownType: false, type: "dev.cdeventsx.mytool-resource.created.0.1.0" });
    expect(await processInboundEvent(getDb(), row!.id)).toBe("ignored");
    // The conformance example is dated 2023: it counts by received time, and by event time over a window that long.
    const recent = await dataQualityReport(getDb(), new Date(Date.now() - 86_400_000), "received");
    expect(recent.unknownTypes).toContainEqual(expect.objectContaining({ source: "cdevents", type: "dev.cdeventsx.mytool-resource.created.0.1.0", count: 1 }));
    expect((await dataQualityReport(getDb(), new Date(Date.now() - 86_400_000), "event")).unknownTypes).toEqual([]);
    expect((await dataQualityReport(getDb(), new Date("2023-01-01T00:00:00Z"), "event")).unknownTypes).toHaveLength(1);
  });

  it("flags a deployment dated 2099 and gives its row the received time, so it is not ranked first", async () => {
    const e = deployed("from-2099");
    e.context.timestamp = "2099-01-01T09:00:00Z";
    const res = await send(e);
    expect(res.status).toBe(202);
    const row = (await stored("from-2099"))!;
    expect(row.occurredAt?.toISOString()).toBe("2099-01-01T09:00:00.000Z");
    expect(await processInboundEvent(getDb(), row.id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { externalId: "from-2099" } });
    expect(d.deployedAt.getTime()).toBe(row.receivedAt.getTime());
    const latest = await getDb().deployment.findFirstOrThrow({ orderBy: { deployedAt: "desc" } });
    expect(latest.deployedAt.getUTCFullYear()).toBeLessThan(2099);
    const report = await dataQualityReport(getDb(), new Date(Date.now() - 86_400_000), "received");
    expect(report.futureTimestamps.count).toBe(1);
    expect(report.futureTimestamps.sample[0]).toMatchObject({ externalId: "from-2099", type: "dev.cdevents.service.deployed.0.3.0" });
    // By event time too: a time in the future is inside every window, so it is flagged whichever basis is chosen.
    expect((await dataQualityReport(getDb(), new Date(Date.now() - 86_400_000), "event")).futureTimestamps.count).toBe(1);
    // The conformance example's environment (test123) is not in the catalog.
    expect(report.unknownEnvironments).toContainEqual(expect.objectContaining({ name: "test123", sources: "cdevents" }));
  });
});
