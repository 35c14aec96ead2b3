// Linking rules of the canonical store when events arrive out of order.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { applyFact, sweepStuckEvents } from "../ingest/ingest-worker";
import { UnrecoverableError, Worker } from "bullmq";
import { QUEUES, getQueue, queuePrefix, workerConnection } from "../platform/queues";
import { recordChange, recordDeployment, recordIncident } from "./canonical";
import { normaliseEnvironmentName, normaliseServiceName } from "./catalog-lookup";
import { at, ensureEnvironments, makeService } from "../../test/support/dora-fixtures";

beforeAll(async () => {
  await ensureEnvironments();
  await makeService(undefined, "ledger");
});

const links = (changeExternalId: string) =>
  getDb().deploymentChange.findMany({ where: { change: { externalId: changeExternalId } }, include: { deployment: { select: { externalId: true } } } });

describe("change ↔ deployment links", () => {
  it("re-links a change to an earlier deployment that arrives late, and a late change to its deployment", async () => {
    const db = getDb();
    await transaction(db, async (tx) => {
      await recordChange(tx, {
        source: "t",
        externalId: "L1",
        serviceName: "ledger",
        authoredAt: at("2026-04-01T08:00:00Z"),
        firstCommitAt: at("2026-04-01T08:00:00Z"),
        mergedAt: at("2026-04-01T09:00:00Z"),
      });
      // The later deployment arrives first and takes the change…
      await recordDeployment(tx, {
        source: "t",
        externalId: "late",
        serviceName: "ledger",
        environmentName: "production",
        status: "succeeded",
        deployedAt: at("2026-04-02T09:00:00Z"),
      });
    });
    expect((await links("L1")).map((l) => l.deployment.externalId)).toEqual(["late"]);
    await transaction(db, async (tx) =>
      recordDeployment(tx, {
        source: "t",
        externalId: "early",
        serviceName: "ledger",
        environmentName: "prod",
        status: "succeeded",
        deployedAt: at("2026-04-01T10:00:00Z"),
      }),
    );
    // …until the earlier one shows up: the first successful deployment after the merge shipped it.
    const l1 = await links("L1");
    expect(l1.map((l) => [l.deployment.externalId, l.leadTimeSeconds])).toEqual([["early", 2 * 3600]]);
    const change = await db.change.findFirstOrThrow({ where: { externalId: "L1" } });
    expect(change.deploymentId).toBe(l1[0].deploymentId);

    // A change merged between the two, reported after both: linked to "late".
    await transaction(db, async (tx) =>
      recordChange(tx, {
        source: "t",
        externalId: "L2",
        serviceName: "ledger",
        authoredAt: at("2026-04-01T12:00:00Z"),
        firstCommitAt: at("2026-04-01T12:00:00Z"),
        mergedAt: at("2026-04-01T13:00:00Z"),
      }),
    );
    expect((await links("L2")).map((l) => [l.deployment.externalId, l.leadTimeSeconds])).toEqual([["late", 21 * 3600]]);
  });

  it("links an incident to the service's last deployment in the window, or to the version it names", async () => {
    const db = getDb();
    const i = await transaction(db, async (tx) =>
      recordIncident(tx, { source: "t", externalId: "I1", serviceName: "ledger", title: "Down", detectedAt: at("2026-04-02T10:00:00Z") }),
    );
    const late = await db.deployment.findFirstOrThrow({ where: { externalId: "late" } });
    expect(i.deploymentId).toBe(late.id);
    expect((await db.deployment.findUniqueOrThrow({ where: { id: late.id } })).hasIncident).toBe(true);
    const old = await transaction(db, async (tx) =>
      recordIncident(tx, { source: "t", externalId: "I2", serviceName: "ledger", title: "Much later", detectedAt: at("2026-06-01T00:00:00Z") }),
    );
    expect(old.deploymentId).toBeNull();
  });

  it("applies CDEvents rollbacks: the rolled-back deployment becomes a failure", async () => {
    const db = getDb();
    await transaction(db, async (tx) =>
      applyFact(tx, {
        kind: "deployment",
        deployment: {
          source: "cdevents",
          externalId: "rb",
          serviceName: "service/ledger",
          environmentName: "prod",
          status: "succeeded",
          isRollback: true,
          deployedAt: at("2026-04-02T11:00:00Z"),
        },
      }),
    );
    expect((await db.deployment.findFirstOrThrow({ where: { externalId: "late" } })).status).toBe("rolled_back");
  });

  it("normalises names the way feeds send them", () => {
    expect(normaliseServiceName("acme/ledger.git")).toBe("ledger");
    expect(normaliseEnvironmentName("Production")).toBe("prod");
    expect(normaliseEnvironmentName("eu/stage")).toBe("staging");
  });
});

describe("ingest sweeper", () => {
  it("re-enqueues pending events whose job was lost", async () => {
    const db = getDb();
    const ev = await db.inboundEvent.create({
      data: { source: "cdevents", externalId: "stuck", type: "x", payload: {}, receivedAt: at("2026-01-01T00:00:00Z") },
    });
    expect(await sweepStuckEvents(db, 60_000)).toBeGreaterThanOrEqual(1);
    expect(await getQueue(QUEUES.ingest).getJob(ev.id)).toBeTruthy();
  });

  it("replaces a job that failed (its retries spent while the database was away) with a runnable one", async () => {
    const db = getDb();
    const ev = await db.inboundEvent.create({
      data: { source: "cdevents", externalId: "failed-job", type: "x", payload: {}, receivedAt: at("2026-01-01T00:00:00Z") },
    });
    const queue = getQueue(QUEUES.ingest);
    await queue.add("inbound", { inboundEventId: ev.id }, { jobId: ev.id });
    const connection = workerConnection();
    const worker = new Worker(QUEUES.ingest, () => Promise.reject(new UnrecoverableError("connect ECONNREFUSED")), { connection, prefix: queuePrefix() });
    await expect.poll(() => queue.getJobState(ev.id)).toBe("failed");
    await worker.close();
    connection.disconnect();

    await sweepStuckEvents(db, 60_000);
    expect(await queue.getJobState(ev.id)).toBe("waiting");
  });
});
