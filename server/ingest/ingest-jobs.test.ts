// The ingest worker's jobs (./ingest-worker.ts processIngestJob): the intake hands stored events over in batch jobs
// (./ingest.ts) capped by events and by payload bytes; each event is still applied on its own, an event that fails
// fails the job (BullMQ retries it) without holding back the others, and the retry skips the events already applied.
// The sweeper re-enqueues only events whose job was lost, not those a batch job of a queue running behind still holds.
import { describe, expect, it, vi } from "vitest";
import { getDb } from "../db";
import { QUEUES, getReadyQueue } from "../platform/queues";
import { intakeJobChunks, storeInboundEvents } from "./ingest";
import { processIngestJob, sweepStuckEvents } from "./ingest-worker";

/** The intake batch jobs waiting in the queue, as their event id lists. */
async function waitingBatches() {
  const queue = await getReadyQueue(QUEUES.ingest);
  const jobs = await queue.getJobs(["waiting"], 0, -1, true);
  return jobs.filter((j) => j.name === "inbound-batch").map((j) => (j.data as { inboundEventIds: string[] }).inboundEventIds);
}

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

describe("intake batch jobs: caps", () => {
  it("cuts a job at 50 events or 1 MiB of payload, whichever comes first; a larger event is a job of its own", () => {
    const ev = (id: string, bytes: number) => ({ id, bytes });
    expect(intakeJobChunks(Array.from({ length: 120 }, (_, i) => ev(`e${i}`, 100))).map((c) => c.length)).toEqual([50, 50, 20]);
    expect(intakeJobChunks([ev("a", 400_000), ev("b", 400_000), ev("c", 400_000), ev("d", 10)])).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(intakeJobChunks([ev("small", 10), ev("huge", 5_000_000), ev("next", 10)])).toEqual([["small"], ["huge"], ["next"]]);
  });

  it("hands large stored payloads to the worker in jobs of at most 1 MiB of payload", async () => {
    await getReadyQueue(QUEUES.ingest); // connected first: the enqueue waits at most 500 ms for Redis
    const blob = (c: string) => ({ blob: c.repeat(400_000) });
    const stored = await storeInboundEvents(getDb(), "jobs-test", [
      { externalId: "big-a", type: "x", payload: blob("a") },
      { externalId: "big-b", type: "x", payload: blob("b") },
      { externalId: "big-c", type: "x", payload: blob("c") },
    ]);
    const ids = stored.map((s) => s.id);
    await vi.waitFor(async () => expect((await waitingBatches()).filter((b) => b.some((id) => ids.includes(id)))).toEqual([ids.slice(0, 2), ids.slice(2)]), {
      timeout: 5000,
    });
  });
});

describe("ingest sweeper and a queue running behind", () => {
  it("leaves events a waiting batch job holds to that job, and re-enqueues only the one whose job was lost", async () => {
    const db = getDb();
    const queue = await getReadyQueue(QUEUES.ingest);
    const queued = await storeInboundEvents(db, "sweep-test", [
      { externalId: "queued-1", type: "x", payload: { n: 1 } },
      { externalId: "queued-2", type: "x", payload: { n: 2 } },
    ]);
    const queuedIds = queued.map((q) => q.id);
    await vi.waitFor(async () => expect(await waitingBatches()).toContainEqual(queuedIds), { timeout: 5000 });
    // Stored while Redis was away: no job holds it.
    const [lost] = await db.kysely
      .insertInto("InboundEvent")
      .values({ id: "sweep-lost-event", source: "sweep-test", externalId: "lost", type: "x", payload: JSON.stringify({ n: 3 }) })
      .returning("id")
      .execute();
    // Two minutes behind: every one of them is past the sweeper's minute.
    await db.kysely
      .updateTable("InboundEvent")
      .set({ receivedAt: new Date(Date.now() - 120_000) })
      .where("id", "in", [...queuedIds, lost.id])
      .execute();

    expect(await sweepStuckEvents(db, 60_000)).toBe(1);
    expect(await queue.getJobState(lost.id)).toBe("waiting");
    for (const id of queuedIds) expect(await queue.getJobState(id)).toBe("unknown");
    // The lost one now has its own job; once the batch job is gone too (Redis flushed), its events are re-enqueued.
    expect(await sweepStuckEvents(db, 60_000)).toBe(0);
    await queue.remove(`batch-${queuedIds[0]}`);
    expect(await sweepStuckEvents(db, 60_000)).toBe(2);
    for (const id of queuedIds) expect(await queue.getJobState(id)).toBe("waiting");
  });
});
