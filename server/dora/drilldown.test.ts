// Drill-down pages: the number counts every row, the table shows DRILLDOWN_PAGE_SIZE of them per page, and the pages
// together list each counted row exactly once (rows deployed at the same instant included).
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { callerFor, callerWithRole, makeTeam } from "../../test/support/factories";
import { recordChange, recordDeployment } from "./canonical";
import { DRILLDOWN_PAGE_SIZE, changesBehind, deploymentsBehind } from "./drilldown";
import { at, ensureEnvironments, makeService } from "../../test/support/dora-fixtures";

const COUNT = DRILLDOWN_PAGE_SIZE + 3;
const range = { from: at("2026-03-02T00:00:00Z"), to: at("2026-03-09T00:00:00Z") };

beforeAll(async () => {
  await ensureEnvironments();
  await makeService((await makeTeam("Paging")).id, "pager");
  await transaction(getDb(), async (tx) => {
    for (let i = 0; i < COUNT; i++) {
      // Two deployments per minute: every second one shares its deployedAt with another, so only the id orders them.
      const deployedAt = new Date(at("2026-03-03T00:00:00Z").getTime() + Math.floor(i / 2) * 60_000);
      await recordChange(tx, { source: "test", externalId: `c${i}`, serviceName: "pager", authoredAt: deployedAt, mergedAt: deployedAt });
      await recordDeployment(tx, {
        source: "test",
        externalId: `d${i}`,
        serviceName: "pager",
        environmentName: "prod",
        version: `v${i}`,
        status: "succeeded",
        deployedAt,
      });
    }
  });
});

describe("drill-down pages", () => {
  it("lists every counted deployment once across its pages, newest first, with the total on each page", async () => {
    const first = await deploymentsBehind(getDb(), range);
    const second = await deploymentsBehind(getDb(), { ...range, page: 2 });
    const past = await deploymentsBehind(getDb(), { ...range, page: 3 });
    expect([first.total, second.total, past.total]).toEqual([COUNT, COUNT, COUNT]);
    expect([first.page, first.pageSize, second.page]).toEqual([1, DRILLDOWN_PAGE_SIZE, 2]);
    expect([first.rows.length, second.rows.length, past.rows.length]).toEqual([DRILLDOWN_PAGE_SIZE, 3, 0]);
    const versions = [...first.rows, ...second.rows].map((r) => r.version);
    expect(new Set(versions).size).toBe(COUNT);
    const times = [...first.rows, ...second.rows].map((r) => r.deployedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("pages the changes behind lead time the same way", async () => {
    const first = await changesBehind(getDb(), range);
    const second = await changesBehind(getDb(), { ...range, page: 2 });
    expect([first.total, first.rows.length, second.rows.length]).toEqual([COUNT, DRILLDOWN_PAGE_SIZE, 3]);
    expect(new Set([...first.rows, ...second.rows].map((r) => r.externalId)).size).toBe(COUNT);
  });

  it("takes the page over tRPC from signed-in people only, and refuses a page that is not a whole number from 1", async () => {
    const anon = await callerFor(null);
    await expect(anon.dora.deployments({ ...range, page: 2 })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    expect((await caller.dora.deployments({ ...range, page: 2 })).rows).toHaveLength(3);
    expect((await caller.dora.incidents({ ...range, page: 2 })).rows).toEqual([]);
    for (const page of [0, 1.5, -1]) {
      await expect(caller.dora.deployments({ ...range, page })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("page") });
    }
  });
});
