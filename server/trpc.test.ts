// The tRPC edge under hostile input (issue 12), through the real HTTP handler: values Postgres cannot store are 400s
// naming the field with nothing written; cursors, weeks and dates out of range are 400s; internal errors are masked
// with a reference the log carries; bodies are cut off at the limit.
import { afterAll, describe, expect, it, vi } from "vitest";
import { closeDb, createDb, getDb } from "./db";
import { env } from "./env";
import { logger } from "./logger";
import { makeWorld, requestInput } from "../test/support/deployment-world";
import { sessionUser } from "../test/support/factories";
import { trpcHttp } from "../test/support/trpc-http";

const world = await makeWorld();
const developer = await sessionUser(world.developer.id);
const approver = await sessionUser(world.approver1.id);
const services = () => getDb().service.count();

describe("strings Postgres cannot store", () => {
  it("refuses a NUL byte in any string with 400 naming the field, writing nothing", async () => {
    const before = await services();
    const res = await trpcHttp(developer, "catalog.create", "mutation", { slug: "nul-svc", name: "Bad\u0000name", teamSlug: world.team.slug });
    expect(res.status).toBe(400);
    expect(res.error?.data?.fieldErrors).toEqual({ name: ["name contains a NUL character (\\u0000)"] });
    expect(await services()).toBe(before);
  });

  it("refuses a lone surrogate in a nested string, and in a key", async () => {
    const res = await trpcHttp(developer, "catalog.update", "mutation", { slug: world.service.slug, changes: { description: "x\uD800" } });
    expect(res.status).toBe(400);
    expect(res.error?.data?.fieldErrors).toMatchObject({ "changes.description": [expect.stringMatching(/lone surrogate/)] });
    const key = await trpcHttp(developer, "deployments.create", "mutation", { ...requestInput(world, "dev", "9.9.9"), ["k\u0000"]: 1 });
    expect(key.status).toBe(400);
    expect(await getDb().deploymentRequest.count({ where: { version: "9.9.9" } })).toBe(0);
  });

  it("refuses deep nesting before any schema runs", async () => {
    let deep: unknown = "x";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const res = await trpcHttp(developer, "catalog.search", "query", deep);
    expect(res.status).toBe(400);
    expect(res.error?.message).toMatch(/nested deeper than 64/);
  });
});

describe("numbers and dates out of range", () => {
  it("refuses a log cursor beyond bigint (was a 500)", async () => {
    const res = await trpcHttp(developer, "deployments.logs", "query", { id: "anything", afterId: "99999999999999999999999" });
    expect(res.status).toBe(400);
    expect(res.error?.data?.fieldErrors).toEqual({ afterId: ["afterId must be a whole number from 0 to 9223372036854775807"] });
  });

  it("refuses an audit cursor beyond bigint", async () => {
    const res = await trpcHttp(approver, "audit.events", "query", { cursor: "99999999999999999999999" });
    expect(res.status).toBe(400);
    expect(res.error?.data?.fieldErrors).toEqual({ cursor: ["cursor must be a whole number from 0 to 9223372036854775807"] });
  });

  it("refuses a week that passes the pattern but is not a date (2026-99-99)", async () => {
    const res = await trpcHttp(developer, "dora.deployments", "query", { from: "2026-01-01", to: "2026-03-01", week: "2026-99-99" });
    expect(res.status).toBe(400);
    expect(res.error?.data?.fieldErrors).toMatchObject({ week: ["week is not a date in the calendar"] });
  });

  it("refuses dates Postgres or the metrics cannot handle", async () => {
    const res = await trpcHttp(developer, "dora.summary", "query", { from: new Date(-8.64e15), to: new Date(-8.6e15) });
    expect(res.status).toBe(400);
    const text = await trpcHttp(developer, "dora.summary", "query", { from: "+200000-01-01", to: "+200001-01-01" });
    expect(text.status).toBe(400);
  });
});

describe("internal errors", () => {
  const broken = createDb(env().DATABASE_URL.replace(/\/[^/?]+(\?|$)/, "/pier_does_not_exist_xyz$1"), 1);
  afterAll(() => closeDb(broken));

  it("shows only a reference, logs the error with it, and never sends SQL text or a stack", async () => {
    const spy = vi.spyOn(logger, "error");
    const res = await trpcHttp(developer, "catalog.facets", "query", undefined, { db: broken });
    expect(res.status).toBe(500);
    const reference = /^Something went wrong \(reference ([0-9a-f]+)\)$/.exec(res.error?.message ?? "")?.[1];
    expect(reference).toBeTruthy();
    expect(res.text).not.toMatch(/pier_does_not_exist|database|prisma|kysely|select |\n\s+at /i);
    expect(res.error?.data?.stack).toBeUndefined();
    expect(spy.mock.calls.some(([fields]) => (fields as { requestId?: string }).requestId === reference)).toBe(true);
    spy.mockRestore();
  });

  it("keeps domain errors' own messages", async () => {
    const res = await trpcHttp(developer, "catalog.service", "query", { slug: "no-such-service" });
    expect(res.status).toBe(404);
    expect(res.error?.message).toMatch(/^Service "no-such-service" was not found/);
  });
});

describe("request bodies", () => {
  it("cuts a 30 MB body off at the limit instead of reading it whole", async () => {
    const { handleTrpcRequest } = await import("./trpc-http");
    let pulled = 0;
    const chunk = new Uint8Array(256 * 1024).fill(32);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += chunk.byteLength;
        if (pulled > 30 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    const req = new Request("http://pier.test/api/trpc/catalog.importYaml", { method: "POST", body, duplex: "half" } as RequestInit);
    const res = await handleTrpcRequest(req, async () => ({ db: getDb(), user: developer }));
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(7 * 1024 * 1024);
  });
});
