// The ingest worker's jobs (./ingest-worker.ts processIngestJob): the intake hands stored events over in batch jobs
// (./ingest.ts); each event is still applied on its own, an event that fails fails the job (BullMQ retries it) without
// holding back the others, and the retry skips the events already applied.
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { storeInboundEvents } from "./ingest";
import { processIngestJob } from "./ingest-worker";

async function statuses(ids: string[]) {
  const rows = await getDb().kysely.selectFrom("InboundEvent").select(["id", "status", "attempts"]).where("id", "in", ids).execute();
  return ids.map((id) => rows.find((r) => r.id === id));
}

describe("ingest batch jobs", () => {
  it("applies every event of a batch, fails the job for the one that failed, and skips the applied ones on the retry", async () => {
    const db = getDb();
    // No translator for this source: applied as "ignored". A CDEvent without its context cannot be translated.
    const [a, b] = await storeInboundEvents(db, "jobs-test", [
      { externalId: "job-a", type: "x", payload: { n: 1 } },
      { externalId: "job-b", type: "x", payload: { n: 2 } },
    ]);
    const [bad] = await storeInboundEvents(db, "cdevents", [{ externalId: "job-bad", type: "dev.cdevents.service.deployed.0.3.0", payload: {} }]);
    const job = { inboundEventIds: [a.id, bad.id, b.id] };

    await expect(processIngestJob(db, job)).rejects.toThrow();
    expect(await statuses([a.id, bad.id, b.id])).toMatchObject([
      { status: "ignored", attempts: 1 },
      { status: "failed", attempts: 1 },
      { status: "ignored", attempts: 1 },
    ]);

    // BullMQ's retry: only the failed event is attempted again.
    await expect(processIngestJob(db, job)).rejects.toThrow();
    expect(await statuses([a.id, bad.id, b.id])).toMatchObject([
      { status: "ignored", attempts: 1 },
      { status: "failed", attempts: 2 },
      { status: "ignored", attempts: 1 },
    ]);

    // The sweeper's and an admin's retries are single-event jobs.
    await expect(processIngestJob(db, { inboundEventId: a.id })).resolves.toBeUndefined();
    expect(await statuses([a.id])).toMatchObject([{ status: "ignored", attempts: 1 }]);
  });
});
