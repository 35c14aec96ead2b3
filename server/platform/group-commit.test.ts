import { describe, expect, it } from "vitest";
import { groupCommit } from "./group-commit";

/** A writer that records its batches and can be told to fail on an item. */
function recorder(failOn?: number) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  const gate = new Promise<void>((r) => (release = r));
  return {
    batches,
    release: () => release?.(),
    write: async (items: number[]) => {
      batches.push(items);
      // The first batch waits for the test, so later items pile up behind it.
      if (batches.length === 1) await gate;
      if (failOn !== undefined && items.includes(failOn)) throw new Error(`bad item ${failOn}`);
      return items.map((i) => i * 10);
    },
  };
}

describe("group commit", () => {
  it("writes items submitted in one turn together, and those arriving meanwhile in the next batch", async () => {
    const r = recorder();
    const g = groupCommit({ name: "test", lanes: 1, maxBatch: 100, laneKey: String, write: r.write });
    const first = [1, 2, 3].map((i) => g.submit(i));
    await new Promise((res) => setTimeout(res, 10));
    const later = [4, 5, 6, 7].map((i) => g.submit(i));
    r.release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(r.batches).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it("keeps to maxBatch and to one lane per key", async () => {
    const r = recorder();
    r.release();
    const g = groupCommit({ name: "test", lanes: 2, maxBatch: 2, laneKey: (i: number) => (i % 2 ? "odd" : "even"), write: r.write });
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => g.submit(i)));
    for (const b of r.batches) {
      expect(b.length).toBeLessThanOrEqual(2);
      expect(new Set(b.map((i) => i % 2)).size).toBe(1);
    }
    expect(r.batches.flat().sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a failing batch is written again item by item: only the bad item fails", async () => {
    const r = recorder(2);
    const g = groupCommit({ name: "test", lanes: 1, maxBatch: 100, laneKey: String, write: r.write });
    const results = [1, 2, 3].map((i) => g.submit(i).then(String, (err: Error) => err.message));
    r.release();
    expect(await Promise.all(results)).toEqual(["10", "bad item 2", "30"]);
    expect(r.batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });
});

describe("group commit when the failure is not the items' doing", () => {
  it("fails every item of the batch with the batch's error, without writing them again one by one", async () => {
    const r = recorder(2);
    const down = new Error("database unreachable");
    const g = groupCommit({
      name: "test",
      lanes: 1,
      maxBatch: 100,
      laneKey: String,
      write: async (items: number[]) => {
        await r.write(items);
        throw down;
      },
      splitOnFailure: (err) => err !== down,
    });
    const results = [1, 3, 4].map((i) => g.submit(i).then(String, (err: unknown) => err));
    r.release();
    expect(await Promise.all(results)).toEqual([down, down, down]);
    expect(r.batches).toEqual([[1, 3, 4]]);
  });

  it("still splits a batch whose failure splitOnFailure blames on an item", async () => {
    const r = recorder(2);
    const g = groupCommit({ name: "test", lanes: 1, maxBatch: 100, laneKey: String, write: r.write, splitOnFailure: () => true });
    const results = [1, 2].map((i) => g.submit(i).then(String, (err: Error) => err.message));
    r.release();
    expect(await Promise.all(results)).toEqual(["10", "bad item 2"]);
    expect(r.batches).toEqual([[1, 2], [1], [2]]);
  });
});

describe("group commit without a lane key (one queue)", () => {
  it("starts a second lane only while a full batch waits behind the running one", async () => {
    const r = recorder();
    const g = groupCommit({ name: "test", lanes: 2, maxBatch: 3, write: r.write });
    const first = g.submit(1);
    await new Promise((res) => setTimeout(res, 10));
    // The first batch is held: 2 and 3 wait for the next batch rather than start a half-empty one in lane 2.
    const waiting = [2, 3].map((i) => g.submit(i));
    await new Promise((res) => setTimeout(res, 10));
    expect(r.batches).toEqual([[1]]);
    // 4 fills a batch: lane 2 writes it while lane 1 is still held.
    const full = g.submit(4);
    expect(await Promise.all([...waiting, full])).toEqual([20, 30, 40]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    r.release();
    expect(await first).toBe(10);
  });

  it("keeps a batch within maxWeight (an item heavier than that goes alone)", async () => {
    const r = recorder();
    const g = groupCommit({ name: "test", lanes: 1, maxBatch: 100, weight: (i: number) => i, maxWeight: 10, write: r.write });
    const first = g.submit(1);
    await new Promise((res) => setTimeout(res, 10));
    const rest = [4, 5, 20, 3].map((i) => g.submit(i));
    r.release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 40, 50, 200, 30]);
    expect(r.batches).toEqual([[1], [4, 5], [20], [3]]);
  });

  it("lingers before a batch that is not full, so items arriving meanwhile join it", async () => {
    const r = recorder();
    r.release();
    const g = groupCommit({ name: "test", lanes: 1, maxBatch: 100, lingerMs: 1000, write: r.write });
    const early = g.submit(1);
    // Past the turn in which a batch would otherwise start.
    await new Promise((res) => setImmediate(res));
    const late = g.submit(2);
    expect(await Promise.all([early, late])).toEqual([10, 20]);
    expect(r.batches).toEqual([[1, 2]]);
  });
});
