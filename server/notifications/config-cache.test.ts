// The workers cache the notification configuration (routes, channels, silences, templates, allow-list); an admin's
// change made in another process (the web) reaches them with the change's commit (NOTIFY), not when the copy
// expires. Two Db handles stand for the two processes.
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, createDb, invalidationListening, type Db } from "../db";
import { addAllowEntry } from "./allow-list";
import { cached, listenForConfigChanges } from "./config-cache";
import { createRoute } from "./route-admin";
import { admin, makeChannel } from "../../test/support/notification-fixtures";

const handles: Db[] = [];
async function processDb() {
  const db = createDb(process.env.DATABASE_URL!, 3);
  handles.push(db);
  return db;
}
afterAll(() => Promise.all(handles.map((h) => closeDb(h))));

/** A value cached for a minute: it changes only when the cache is dropped. */
function counter() {
  let loads = 0;
  return { read: () => cached("routing-config", async () => ++loads, 60_000), loads: () => loads };
}

async function until(cond: () => Promise<boolean>, ms = 2000) {
  const started = Date.now();
  while (!(await cond())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

describe("notification configuration cache", () => {
  it("drops the worker's copies when another process changes a route or the allow-list", async () => {
    const [worker, web] = [await processDb(), await processDb()];
    listenForConfigChanges(worker);
    await invalidationListening(worker);
    const c = counter();
    expect(await c.read()).toBe(1);
    expect(await c.read()).toBe(1); // served from the cache

    const channel = await makeChannel("webhook", { url: "https://hooks.example.com/pier", signingSecret: "signing-secret-123456", headers: {} });
    await createRoute(web, admin, { name: "from the web process", channelIds: [channel.id] });
    expect(await until(async () => (await c.read()) === 2)).toBeLessThan(1000);

    await addAllowEntry(web, admin, { pattern: "hooks.example.com", reason: "the team's webhook receiver" });
    expect(await until(async () => (await c.read()) === 3)).toBeLessThan(1000);
  });
});
