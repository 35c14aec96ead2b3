import { afterAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { processOutboxJob, subscriber, type Subscriber } from "./fanout";
import { writeOutbox, type OutboxJobData } from "./outbox";

afterAll(async () => {
  await getDb().$disconnect();
});

/** Outbox rows committed as the app writes them, and the job data the dispatcher would carry for them. */
async function outboxRows(n: number): Promise<OutboxJobData[]> {
  const db = getDb();
  const jobs: OutboxJobData[] = [];
  for (let i = 0; i < n; i++) {
    const payload = { type: "incident.detected", data: { i } };
    const { id } = await transaction(db, async (tx) => writeOutbox(tx, { type: "incident.detected", payload }));
    jobs.push({ outboxId: id, type: "incident.detected", payload });
  }
  return jobs;
}

/** A subscriber that counts, per event id, the effects that were committed (after-commit work runs only then). */
function counting(name: string, committed: Map<string, number>, failFor?: { ids: Set<string> }): Subscriber {
  return subscriber(name, ["incident.detected"], async (tx, events) => {
    for (const e of events) {
      if (failFor?.ids.has(e.id)) throw new Error(`${name} cannot take ${e.id}`);
      tx.afterCommit(() => void committed.set(e.id, (committed.get(e.id) ?? 0) + 1));
    }
  });
}

const markers = async (ids: string[]) =>
  (await getDb().consumedEvent.findMany({ where: { eventId: { in: ids } }, select: { consumer: true, eventId: true } }))
    .map((m) => `${m.consumer}:${ids.indexOf(m.eventId)}`)
    .sort();

describe("outbox fan-out", () => {
  it("gives each subscriber each event once, marks the rows processed, and a repeated job changes nothing", async () => {
    const jobs = await outboxRows(3);
    const ids = jobs.map((j) => j.outboxId);
    const a = new Map<string, number>();
    const b = new Map<string, number>();
    const list = [counting("fanout-test-a", a), counting("fanout-test-b", b)];
    await processOutboxJob(getDb(), { batch: jobs }, list);
    await processOutboxJob(getDb(), jobs[1], list); // redelivered
    expect(ids.map((id) => [a.get(id), b.get(id)])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(await markers(ids)).toEqual(["fanout-test-a:0", "fanout-test-a:1", "fanout-test-a:2", "fanout-test-b:0", "fanout-test-b:1", "fanout-test-b:2"]);
    expect(await getDb().outboxEvent.count({ where: { id: { in: ids }, processedAt: null } })).toBe(0);

    // An event no subscriber takes is only marked processed.
    const [other] = await outboxRows(1);
    const none = new Map<string, number>();
    await processOutboxJob(getDb(), other, [
      subscriber("fanout-test-none", ["incident.resolved"], async (tx, events) => events.forEach((e) => none.set(e.id, 1))),
    ]);
    expect(none.size).toBe(0);
    expect(await markers([other.outboxId])).toEqual([]);
    expect(await getDb().outboxEvent.count({ where: { id: other.outboxId, processedAt: null } })).toBe(0);
  });

  it("a subscriber that fails on one event holds up only that event for itself; the retry runs just what is left", async () => {
    const jobs = await outboxRows(2);
    const ids = jobs.map((j) => j.outboxId);
    const fine = new Map<string, number>();
    const flaky = new Map<string, number>();
    const failFor = { ids: new Set([ids[0]]) };
    const list = [counting("fanout-test-fine", fine), counting("fanout-test-flaky", flaky, failFor)];

    await expect(processOutboxJob(getDb(), { batch: jobs }, list)).rejects.toThrow("fanout-test-flaky cannot take");
    // The shared transaction rolled back as a whole; the fallback committed everything but the failing pair once.
    expect(ids.map((id) => [fine.get(id), flaky.get(id)])).toEqual([
      [1, undefined],
      [1, 1],
    ]);
    expect(await markers(ids)).toEqual(["fanout-test-fine:0", "fanout-test-fine:1", "fanout-test-flaky:1"]);
    expect(await getDb().outboxEvent.count({ where: { id: ids[0], processedAt: null } })).toBe(1);

    failFor.ids.clear(); // fixed: the job's retry
    await processOutboxJob(getDb(), { batch: jobs }, list);
    expect(ids.map((id) => [fine.get(id), flaky.get(id)])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(await getDb().outboxEvent.count({ where: { id: { in: ids }, processedAt: null } })).toBe(0);
  });
});
