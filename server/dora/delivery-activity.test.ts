// dora.deliveryActivity (the service page's "Pipelines and environment changes"): signed-in users only; the
// service's runs and environment changes newest first, a run only moving forward, an environment change recorded once.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { recordEnvironmentChange, recordPipelineRun, type PipelineRunInput } from "./delivery-activity";

let service: { id: string; slug: string };
const run = (over: Partial<PipelineRunInput>): PipelineRunInput => ({
  source: "gitlab",
  externalId: "pipeline:1",
  kind: "pipeline",
  serviceName: "acme/activity-svc",
  name: "main",
  status: "running",
  ref: "main",
  sha: "abc",
  url: "https://gitlab.example.com/acme/activity-svc/-/pipelines/1",
  startedAt: new Date("2026-03-01T10:00:00Z"),
  finishedAt: null,
  updatedAt: new Date("2026-03-01T10:00:00Z"),
  ...over,
});

beforeAll(async () => {
  await ensureEnvironments();
  service = await makeService(undefined, "activity-svc");
});

describe("dora.deliveryActivity", () => {
  it("refuses anonymous callers", async () => {
    await expect((await callerFor(null)).dora.deliveryActivity({ serviceId: service.id })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("lists the service's runs and environment changes, newest first", async () => {
    await transaction(getDb(), async (tx) => {
      await recordPipelineRun(tx, run({ status: "succeeded", finishedAt: new Date("2026-03-01T10:05:00Z"), updatedAt: new Date("2026-03-01T10:05:00Z") }));
      // An older event processed late changes nothing; a start time once known stays.
      await recordPipelineRun(tx, run({ status: "queued", startedAt: null }));
      await recordPipelineRun(tx, run({ externalId: "pipeline:2", updatedAt: new Date("2026-03-02T09:00:00Z") }));
      const change = {
        source: "terraform",
        externalId: "run-1:run:completed",
        kind: "infrastructure" as const,
        environmentName: "production",
        serviceName: "acme/activity-svc",
        status: "applied",
        summary: "Applied",
        revision: "run-1",
        url: "javascript:alert(1)",
        occurredAt: new Date("2026-03-01T12:00:00Z"),
      };
      await recordEnvironmentChange(tx, change);
      await recordEnvironmentChange(tx, { ...change, status: "changed-on-repeat" });
    });
    const { caller } = await callerWithRole("developer");
    const { runs, environmentChanges } = await caller.dora.deliveryActivity({ serviceId: service.id });
    expect(runs.map((r) => [r.status, r.startedAt?.toISOString() ?? null])).toEqual([
      ["running", "2026-03-01T10:00:00.000Z"],
      ["succeeded", "2026-03-01T10:00:00.000Z"],
    ]);
    expect(environmentChanges).toHaveLength(1);
    expect(environmentChanges[0]).toMatchObject({ environmentName: "prod", status: "applied" });
  });
});
