// CDEvents validation against the official v0.4.1 and v0.5.1 schemas: a valid example of every type Pier reads is
// accepted in both spec versions; malformed events are refused with the offending field named.
import { describe, expect, it } from "vitest";
import { parseCdeventType, validateCdevent, validateCdeventBatch } from "./cdevents";
import { purlVersion } from "../platform/purl";
import { translateCdevent } from "./cdevents-translate";
import { cdevent, TYPE_VERSIONS } from "../../test/support/cdevents-fixtures";

describe("CDEvents validation", () => {
  for (const kind of Object.keys(TYPE_VERSIONS)) {
    for (const spec of ["0.4", "0.5"] as const) {
      it(`accepts ${kind} (spec ${spec})`, () => {
        const r = validateCdevent(cdevent(kind, spec));
        expect(r).toMatchObject({ ok: true, kind, specVersion: spec === "0.5" ? "0.5.1" : "0.4.1" });
      });
    }
  }

  it.each([
    ["context.id missing", (e: ReturnType<typeof cdevent>) => delete (e.context as Record<string, unknown>).id, "context.id"],
    ["context.source missing", (e: ReturnType<typeof cdevent>) => delete (e.context as Record<string, unknown>).source, "context.source"],
    ["timestamp not a date", (e: ReturnType<typeof cdevent>) => ((e.context as Record<string, unknown>).timestamp = "yesterday"), "context.timestamp"],
    ["no spec version", (e: ReturnType<typeof cdevent>) => delete (e.context as Record<string, unknown>).specversion, "context.specversion"],
    [
      "environment missing",
      (e: ReturnType<typeof cdevent>) => delete (e.subject.content as Record<string, unknown>).environment,
      "subject.content.environment",
    ],
    [
      "environment id empty",
      (e: ReturnType<typeof cdevent>) => ((e.subject.content as Record<string, unknown>).environment = { id: "" }),
      "subject.content.environment.id",
    ],
    ["unknown subject field", (e: ReturnType<typeof cdevent>) => ((e.subject as Record<string, unknown>).colour = "red"), "subject.colour"],
    ["no subject id", (e: ReturnType<typeof cdevent>) => delete (e.subject as Record<string, unknown>).id, "subject.id"],
  ])("refuses service.deployed with %s, naming %s", (_label, mutate, field) => {
    const e = cdevent("service.deployed", "0.5");
    mutate(e);
    const r = validateCdevent(e);
    expect(r.ok).toBe(false);
    expect(r).toMatchObject({ field });
    if (!r.ok) expect(r.reason).toContain(field.split(".").pop());
  });

  it("refuses an incident.reported without its ticketURI and a v0.4 event without subject.type", () => {
    expect(validateCdevent(cdevent("incident.reported", "0.5", { content: { environment: { id: "prod" } } }))).toMatchObject({
      ok: false,
      field: "subject.content.ticketURI",
    });
    const v04 = cdevent("change.merged", "0.4");
    delete (v04.subject as Record<string, unknown>).type;
    expect(validateCdevent(v04)).toMatchObject({ ok: false, field: "subject.type" });
  });

  it("refuses non-CDEvents types and unsupported versions of the types Pier reads", () => {
    const e = cdevent("service.deployed");
    (e.context as Record<string, unknown>).type = "com.example.deployed";
    expect(validateCdevent(e)).toMatchObject({ ok: false, field: "context.type" });
    (e.context as Record<string, unknown>).type = "dev.cdevents.service.deployed.9.9.9";
    expect(validateCdevent(e)).toMatchObject({ ok: false, field: "context.type" });
    expect(validateCdevent("hello")).toMatchObject({ ok: false, field: "(event)" });
    expect(validateCdevent({ subject: {} })).toMatchObject({ ok: false, field: "context" });
  });

  it("validates types the metrics do not read against their schema too, and keeps them (ignored by metrics)", () => {
    const e = {
      context: { id: "a1", source: "/ci", type: "dev.cdevents.artifact.packaged.0.3.0", timestamp: "2026-01-05T12:00:00Z", specversion: "0.5.1" },
      subject: { id: "pkg:oci/x@1", content: {} },
    };
    expect(validateCdevent(e)).toMatchObject({ ok: false, field: "subject.content.change" });
    Object.assign(e.subject.content, { change: { id: "c1" } });
    expect(validateCdevent(e)).toMatchObject({ ok: true, kind: null, knownType: true });
    expect(translateCdevent(e as never)).toMatchObject({ kind: "ignored" });
  });

  it("validates arrays all-or-nothing, naming the index, and collapses repeated ids", () => {
    const good = cdevent("service.deployed");
    const bad = cdevent("change.merged");
    delete (bad.context as Record<string, unknown>).timestamp;
    expect(validateCdeventBatch([good, bad])).toMatchObject({ ok: false, index: 1, field: "[1].context.timestamp" });
    const twice = validateCdeventBatch([good, good]);
    expect(twice.ok && twice.events.length).toBe(1);
    expect(validateCdeventBatch([])).toMatchObject({ ok: false, field: "(body)" });
    expect(
      validateCdeventBatch(
        Array.from({ length: 3 }, () => cdevent("service.deployed")),
        2,
      ),
    ).toMatchObject({ ok: false, field: "(body)" });
  });
});

describe("CDEvents translation", () => {
  it("maps deployments, rollbacks, changes and incidents to canonical facts", () => {
    expect(translateCdevent(cdevent("service.deployed") as never)).toMatchObject({
      kind: "deployment",
      deployment: { serviceName: "service/orders", environmentName: "prod", version: "sha256:abc123", status: "succeeded", isRollback: false },
    });
    expect(translateCdevent(cdevent("service.rolledback", "0.4") as never)).toMatchObject({
      kind: "deployment",
      deployment: { isRollback: true, version: "1.3.9" },
    });
    expect(translateCdevent(cdevent("change.created") as never)).toMatchObject({
      kind: "change",
      change: { serviceName: "acme/orders", title: "Add retries", mergedAt: null },
    });
    const merged = translateCdevent(cdevent("change.merged") as never);
    expect(merged.kind === "change" && merged.change.mergedAt?.toISOString()).toBe("2026-01-05T12:00:00.000Z");
    expect(translateCdevent(cdevent("incident.detected") as never)).toMatchObject({ kind: "incident", incident: { serviceName: "orders", resolvedAt: null } });
    const resolved = translateCdevent(cdevent("incident.resolved") as never);
    expect(resolved.kind === "incident" && resolved.incident.detectedAt).toBeUndefined();
    expect(translateCdevent(cdevent("pipelinerun.finished") as never)).toMatchObject({ kind: "ignored" });
    expect(translateCdevent(cdevent("change.merged", "0.5", { content: {} }) as never)).toMatchObject({ kind: "ignored" });
  });

  it("parses types and artifact versions", () => {
    expect(parseCdeventType("dev.cdevents.pipelinerun.finished.0.3.0")).toEqual({ kind: "pipelinerun.finished", version: "0.3.0" });
    expect(purlVersion("pkg:npm/left-pad@1.3.0?arch=x")).toBe("1.3.0");
    expect(purlVersion(undefined)).toBe("");
  });
});
