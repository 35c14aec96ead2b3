// The worker process as a whole: outbox → events queue → subscribers, and a graceful stop that drains.
import { describe, expect, it } from "vitest";
import { getDb, transaction } from "../server/db";
import { subscriber } from "../server/bus/fanout";
import { emitPierEvent } from "../server/bus/events";
import { SUBSCRIBERS } from "../server/subscriptions";
import { resetEnvForTests } from "../server/env";
import { getReadyQueue, QUEUES } from "../server/platform/queues";
import { workerDefinitions, type WorkerDefinition } from "./definitions";
import { startWorkers } from "./index";

const received: string[] = [];
const recorder = subscriber("test-recorder", ["test.event"], async (_tx, events) => void received.push(...events.map((e) => e.id)));

let finishedSlowJobs = 0;
const slow: WorkerDefinition = {
  queue: "test-slow",
  concurrency: 1,
  handle: async () => {
    await new Promise((r) => setTimeout(r, 800));
    finishedSlowJobs++;
  },
};

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("worker process", () => {
  it("carries an event from the outbox to its subscriber once, then drains an in-flight job on stop", async () => {
    const stop = await startWorkers([...workerDefinitions([...SUBSCRIBERS, recorder]), slow]);
    const row = await transaction(getDb(), async (tx) => emitPierEvent(tx, { type: "test.event", severity: "info", subject: {}, data: { hello: "world" } }));
    await waitFor(async () => (await getDb().outboxEvent.findUnique({ where: { id: row.id } }))?.processedAt != null);
    expect(received).toEqual([row.id]);

    const queue = await getReadyQueue("test-slow");
    const job = await queue.add("slow", {});
    await waitFor(async () => (await job.getState()) === "active");
    await stop(); // SIGTERM path: must wait for the running job instead of abandoning it
    expect(finishedSlowJobs).toBe(1);
    const q2 = await getReadyQueue("test-slow");
    expect(await (await q2.getJob(job.id!))?.getState()).toBe("completed");
  });
});

describe("worker definitions", () => {
  it("runs ingest jobs PIER_INGEST_CONCURRENCY at a time", () => {
    const before = process.env.PIER_INGEST_CONCURRENCY;
    try {
      process.env.PIER_INGEST_CONCURRENCY = "7";
      resetEnvForTests();
      expect(workerDefinitions().find((d) => d.queue === QUEUES.ingest)?.concurrency).toBe(7);
    } finally {
      if (before === undefined) delete process.env.PIER_INGEST_CONCURRENCY;
      else process.env.PIER_INGEST_CONCURRENCY = before;
      resetEnvForTests();
    }
  });
});
