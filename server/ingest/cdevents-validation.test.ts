// Issue 14 "ingestion that validates everything": every CDEvents type of both releases against its schema, on the
// spec's own conformance examples; the declared spec version checked; custom and unknown types kept as unknown;
// the Jenkins plugin's events (spec 0.1, /work/shared/fixtures) refused for their version.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { conformance, conformanceNames, RELEASES } from "../../test/support/cdevents-conformance";
import { validateCdevent, validateCdeventBatch } from "./cdevents";
import { purlVersion } from "../platform/purl";
import { translateCdevent } from "./cdevents-translate";

const FIXTURES = SHARED_FIXTURES;
const versionField = (release: string) => (release === "v0.4.1" ? "version" : "specversion");

describe("every CDEvents type against its schema", () => {
  for (const release of RELEASES) {
    const names = conformanceNames(release);

    it(`accepts the ${release} conformance example of each of its 45 types, and its custom-event example as unknown`, () => {
      expect(names.filter((n) => n !== "custom")).toHaveLength(45);
      for (const name of names) {
        const r = validateCdevent(conformance(release, name));
        expect(r, name).toMatchObject({ ok: true, knownType: name !== "custom", specVersion: release.slice(1) });
      }
    });

    it(`refuses subject.content "x" for every ${release} type, naming the field`, () => {
      for (const name of names) {
        const e = conformance(release, name);
        (e.subject as Record<string, unknown>).content = "x";
        expect(validateCdevent(e), name).toMatchObject({ ok: false, field: "subject.content" });
      }
    });

    it(`refuses impossible timestamps for every ${release} type`, () => {
      for (const name of names) {
        for (const timestamp of ["2026-02-30T12:00:00Z", "2026-01-05T25:00:00Z", "2026-13-01T00:00:00Z", "0000-01-01T00:00:00Z"]) {
          const e = conformance(release, name);
          e.context.timestamp = timestamp;
          expect(validateCdevent(e), `${name} ${timestamp}`).toMatchObject({ ok: false, field: "context.timestamp" });
        }
      }
    });

    it(`refuses an unknown ${versionField(release)} (9.9.9) for every ${release} type`, () => {
      for (const name of names) {
        const e = conformance(release, name);
        e.context[versionField(release)] = "9.9.9";
        const r = validateCdevent(e);
        expect(r, name).toMatchObject({ ok: false, field: `context.${versionField(release)}` });
        if (!r.ok) expect(r.reason).toContain("9.9.9");
      }
    });
  }

  it("accepts the x.y.0 release of each spec version, and refuses the other release's field and both fields at once", () => {
    const v05 = conformance("v0.5.1", "service_removed");
    v05.context.specversion = "0.5.0";
    expect(validateCdevent(v05)).toMatchObject({ ok: true, specVersion: "0.5.0" });
    const v04 = conformance("v0.4.1", "service_removed");
    v04.context.version = "0.4.0";
    expect(validateCdevent(v04)).toMatchObject({ ok: true, specVersion: "0.4.0" });
    // A v0.5 type under context.version 0.4.1 is a type that release defines in another version.
    const crossed = conformance("v0.5.1", "service_removed");
    delete crossed.context.specversion;
    crossed.context.version = "0.4.1";
    expect(validateCdevent(crossed)).toMatchObject({ ok: false, field: "context.type" });
    const both = conformance("v0.5.1", "environment_created");
    both.context.version = "0.4.1";
    expect(validateCdevent(both)).toMatchObject({ ok: false, field: "context.version" });
  });

  it("refuses a type the declared release defines in another version (service.removed 0.2.0 under 0.5.1)", () => {
    const e = conformance("v0.5.1", "service_removed");
    e.context.type = "dev.cdevents.service.removed.0.2.0";
    const r = validateCdevent(e);
    expect(r).toMatchObject({ ok: false, field: "context.type" });
    if (!r.ok) expect(r.reason).toContain("dev.cdevents.service.removed.0.3.0");
  });

  it("keeps a dev.cdevents type the release does not define as unknown, with the custom-event envelope rules", () => {
    const e = conformance("v0.5.1", "custom");
    e.context.type = "dev.cdevents.database.migrated.0.1.0";
    const r = validateCdevent(e);
    expect(r).toMatchObject({ ok: true, knownType: false, kind: null });
    if (r.ok) expect(translateCdevent(r.event)).toMatchObject({ kind: "ignored" });
    (e.context as Record<string, unknown>).colour = "red";
    expect(validateCdevent(e)).toMatchObject({ ok: false, field: "context.colour" });
    const custom = conformance("v0.5.1", "custom");
    custom.context.type = "dev.cdeventsx.not_a_tool.created.0.1.0";
    expect(validateCdevent(custom)).toMatchObject({ ok: false, field: "context.type" });
  });

  it("refuses the Jenkins CDEvents plugin's events: spec 0.1.2 is not a version Pier reads", () => {
    for (const file of ["pipelinerun_finished", "pipelinerun_started", "taskrun_started"]) {
      const raw = JSON.parse(readFileSync(`${FIXTURES}/jenkins/cdevents-sdk-java-v0.1.2.${file}_optional.json`, "utf8"));
      const r = validateCdevent(raw);
      expect(r, file).toMatchObject({ ok: false, field: "context.version" });
      if (!r.ok) expect(r.reason).toContain("0.1.2");
    }
  });

  it("names the event by its index when a batch holds something that is not an object", () => {
    expect(validateCdeventBatch([conformance("v0.5.1", "build_queued", "b1"), "hello"])).toMatchObject({ ok: false, index: 1, field: "[1]" });
  });
});

describe("versions from package URLs", () => {
  it("percent-decodes the purl version, without qualifiers or subpath", () => {
    expect(purlVersion("pkg:oci/myapp@sha256%3A0b31b1c0?repository_url=ghcr.io%2Facme")).toBe("sha256:0b31b1c0");
    expect(purlVersion("pkg:npm/%40acme/web@1.2.3#dist/app.js")).toBe("1.2.3");
    expect(purlVersion("pkg:generic/x@50%25-off")).toBe("50%-off");
    expect(purlVersion("pkg:generic/x@bad%E0")).toBe("bad%E0");
  });

  it("gives the conformance service.deployed (v0.4.1 and v0.5.1) its digest as the deployment's version", () => {
    for (const release of RELEASES) {
      const r = validateCdevent(conformance(release, "service_deployed"));
      if (!r.ok) throw new Error(r.reason);
      expect(translateCdevent(r.event)).toMatchObject({
        kind: "deployment",
        deployment: { version: "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427", environmentName: "test123" },
      });
    }
  });
});
