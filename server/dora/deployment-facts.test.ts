// The facts the summary reads (Deployment.nextGoodDeployedAt, isRework) stay equal to their definitions computed
// directly from the rows, whatever order deployments and incidents arrive in, and the bulk backfill (migration,
// seed, benchmark) gives the same facts as the projection.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, sql, transaction } from "../db";
import { markPreviousRolledBack, recordDeployment, recordIncident } from "./canonical";
import { backfillDeploymentFacts } from "./deployment-facts";
import { at, ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { uid } from "../../test/support/factories";

let svc: string;

/** The facts as defined (per deployment, looked up row by row: the query the stored columns replace). */
async function directFacts() {
  const { rows } = await sql<{ externalId: string; nextGood: Date | null; rework: boolean }>`
    SELECT d."externalId",
           (SELECT min(n."deployedAt") FROM "Deployment" n WHERE n."serviceName" = d."serviceName" AND n."environmentName" = d."environmentName"
              AND n.status = 'succeeded' AND NOT n."hasIncident" AND n."deployedAt" > d."deployedAt") AS "nextGood",
           d."isRollback" OR EXISTS (SELECT 1 FROM "Incident" i WHERE i."serviceId" = d."serviceId" AND i."deploymentId" IS NOT NULL
              AND i."deploymentId" <> d.id AND i."detectedAt" <= d."deployedAt" AND (i."resolvedAt" IS NULL OR i."resolvedAt" > d."deployedAt")) AS rework
    FROM "Deployment" d WHERE d."serviceName" = ${svc} ORDER BY d."externalId"`.execute(getDb().kysely);
  return rows;
}

async function storedFacts() {
  const rows = await getDb()
    .kysely.selectFrom("Deployment")
    .select(["externalId", "nextGoodDeployedAt as nextGood", "isRework as rework"])
    .where("serviceName", "=", svc)
    .orderBy("externalId")
    .execute();
  return rows;
}

const dep = (externalId: string, time: string, extra: object = {}) =>
  transaction(getDb(), (tx) =>
    recordDeployment(tx, {
      source: "t",
      serviceName: svc,
      externalId,
      environmentName: "prod",
      status: "succeeded",
      deployedAt: at(`2026-06-01T${time}:00Z`),
      ...extra,
    }),
  );
const incident = (externalId: string, extra: object) =>
  transaction(getDb(), (tx) => recordIncident(tx, { source: "t", serviceName: svc, environmentName: "prod", externalId, title: externalId, ...extra }));

beforeAll(async () => {
  await ensureEnvironments();
  svc = `facts-${uid()}`;
  await makeService(undefined, svc);
});

describe("deployment facts", () => {
  it("follow deployments and incidents arriving out of order", async () => {
    await dep("D3", "15:00");
    await dep("D1", "10:00"); // arrives late: its next good deployment is D3
    expect(await storedFacts()).toEqual(await directFacts());
    expect((await storedFacts()).find((r) => r.externalId === "D1")?.nextGood).toEqual(at("2026-06-01T15:00:00Z"));
    const d2 = await dep("D2", "12:00");
    // An incident linked to D2 makes it a failure: D1 now recovers at D3, and D2 is no longer D1's next good.
    await incident("I1", { deploymentId: d2.id, detectedAt: at("2026-06-01T12:30:00Z") });
    await dep("D4", "13:00"); // deployed while I1 (caused by D2) was open: rework
    expect(await storedFacts()).toEqual(await directFacts());
    expect((await storedFacts()).find((r) => r.externalId === "D4")?.rework).toBe(true);
    // I1 resolved before D4: D4 is no longer rework.
    await incident("I1", { resolvedAt: at("2026-06-01T12:45:00Z") });
    expect((await storedFacts()).find((r) => r.externalId === "D4")?.rework).toBe(false);
    // A rollback at 16:00 undoes D3: D3 fails and the earlier deployments recover at the next good one.
    const rb = await dep("R1", "16:00", { isRollback: true });
    await transaction(getDb(), (tx) => markPreviousRolledBack(tx, rb));
    await dep("D5", "17:00");
    // D3's time moves (a source correcting it): its old and new neighbours are refreshed.
    await dep("D3", "16:30");
    const stored = await storedFacts();
    expect(stored).toEqual(await directFacts());
    expect(stored.find((r) => r.externalId === "R1")?.rework).toBe(true);
    expect(stored.find((r) => r.externalId === "D2")?.nextGood).toEqual(at("2026-06-01T13:00:00Z"));
  });

  it("are what the bulk backfill computes", async () => {
    const projected = await storedFacts();
    await transaction(getDb(), async (tx) => {
      await tx.updateTable("Deployment").set({ nextGoodDeployedAt: null, isRework: false }).where("serviceName", "=", svc).execute();
      await backfillDeploymentFacts(tx, [svc]);
    });
    expect(projected.length).toBeGreaterThan(5);
    expect(await storedFacts()).toEqual(projected);
  });
});
