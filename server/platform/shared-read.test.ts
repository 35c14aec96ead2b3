import { describe, expect, it } from "vitest";
import { sharedRead, sharedReadPer } from "./shared-read";

/** A load whose result is the "database state" at the moment it started, and that finishes when told to. */
function controlledLoad() {
  let state = 0;
  const started: { at: number; finish: () => void; fail: (e: Error) => void }[] = [];
  const load = () =>
    new Promise<number>((resolve, reject) => {
      const at = state;
      started.push({ at, finish: () => resolve(at), fail: reject });
    });
  return { load, started, write: () => ++state };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("sharedRead", () => {
  it("an idle read starts at once; callers arriving during a load share the next one, never the one in flight", async () => {
    const db = controlledLoad();
    const read = sharedRead(db.load, 0);
    const first = read();
    expect(db.started).toHaveLength(1);
    db.write(); // committed after the load above started…
    const waiting = [read(), read(), read()]; // …so these callers must not get that load's answer
    expect(db.started).toHaveLength(1);
    db.started[0].finish();
    expect(await first).toBe(0);
    await tick();
    expect(db.started).toHaveLength(2); // one load for the three of them
    expect(db.started[1].at).toBe(1);
    db.started[1].finish();
    expect(await Promise.all(waiting)).toEqual([1, 1, 1]);
  });

  it("runs one load at a time and starts loads at most every minIntervalMs", async () => {
    let running = 0;
    let maxRunning = 0;
    const starts: number[] = [];
    const read = sharedRead(async () => {
      starts.push(performance.now());
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return starts.length;
    }, 30);
    const results: Promise<number>[] = [];
    for (let i = 0; i < 12; i++) {
      results.push(read());
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(results);
    expect(maxRunning).toBe(1);
    expect(starts.length).toBeLessThan(12);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(29);
  });

  it("a failed load fails its callers only; the next caller gets a fresh load", async () => {
    const db = controlledLoad();
    const read = sharedRead(db.load, 0);
    const a = read();
    db.started[0].fail(new Error("database down"));
    await expect(a).rejects.toThrow("database down");
    const b = read();
    await tick();
    db.started[1].finish();
    await expect(b).resolves.toBe(0);
  });

  it("keeps one shared read per key", async () => {
    const loads = new Map<object, number>();
    const readFor = sharedReadPer((key: object) => sharedRead(async () => loads.set(key, (loads.get(key) ?? 0) + 1).get(key)!, 0));
    const [k1, k2] = [{}, {}];
    // k1: the first read loads at once, the second waits for the next load; k2 has its own.
    expect(await Promise.all([readFor(k1), readFor(k1), readFor(k2)])).toEqual([1, 2, 1]);
    expect(loads.get(k1)).toBe(2);
  });
});
