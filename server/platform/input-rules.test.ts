// The edge rules on their own: the value walker, the JSON depth pre-check, the bounded body reader, the zod rules
// for cursors/weeks/dates and the one URL rule; plus how failures are classified (real pg and Prisma errors).
import { describe, expect, it } from "vitest";
import { getDb, sql } from "../db";
import { classifyFailure } from "./failures";
import { BodyRefusal, parseJsonBody, readBoundedBody } from "./http-body";
import { bigintCursor, calendarDate, dateInput, findUnsafeValue, httpUrl, isHttpUrl, jsonNestsDeeperThan } from "./input-rules";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("findUnsafeValue", () => {
  it("names the field of a NUL byte or lone surrogate, in values and keys", () => {
    expect(findUnsafeValue({ a: { b: ["ok", "x\u0000y"] } })).toEqual({ field: "a.b[1]", problem: expect.stringMatching(/NUL/) });
    expect(findUnsafeValue({ title: "\uD800" })).toEqual({ field: "title", problem: expect.stringMatching(/lone surrogate/) });
    expect(findUnsafeValue({ title: "tail \uDC00" })).toMatchObject({ field: "title" });
    expect(findUnsafeValue({ meta: { "k\u0000": 1 } })).toEqual({ field: "meta", problem: expect.stringMatching(/key/) });
    // A real pair is fine.
    expect(findUnsafeValue({ emoji: "ship 🚢", nested: [{ x: null, y: true, z: 1.5 }] })).toBeNull();
  });

  it("refuses deep nesting, non-finite numbers, unusable dates and exotic types", () => {
    expect(findUnsafeValue(JSON.parse(nested(65)))).toMatchObject({ problem: expect.stringMatching(/deeper than 64/) });
    expect(findUnsafeValue(JSON.parse(nested(64)))).toBeNull();
    expect(findUnsafeValue({ n: Infinity })).toMatchObject({ field: "n" });
    expect(findUnsafeValue({ at: new Date(Number.NaN) })).toMatchObject({ field: "at" });
    expect(findUnsafeValue({ at: new Date(-8.64e15) })).toMatchObject({ field: "at" });
    expect(findUnsafeValue({ at: new Date("2026-01-01") })).toBeNull();
    expect(findUnsafeValue({ big: 10n })).toMatchObject({ field: "big" });
    expect(findUnsafeValue({ m: new Map() })).toMatchObject({ field: "m" });
  });

  it("pre-checks JSON depth on the text, ignoring brackets inside strings", () => {
    expect(jsonNestsDeeperThan(nested(5000))).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"${"[".repeat(5000)}"}`)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"\\"${"{".repeat(100)}"}`)).toBe(false);
    // A string ending in an escaped backslash ends at its quote: the nesting after it counts.
    expect(jsonNestsDeeperThan(`{"a":"\\\\","b":${nested(100)}}`)).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"\\\\\\"${"{".repeat(100)}"}`)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"${"[".repeat(100)}`)).toBe(false);
    expect(jsonNestsDeeperThan(nested(64))).toBe(false);
    expect(jsonNestsDeeperThan(nested(65))).toBe(true);
    // Many brackets side by side (more than the depth limit in all) are not nesting; { and [ count together.
    expect(jsonNestsDeeperThan(`[${Array.from({ length: 200 }, () => '{"a":[1]}').join(",")}]`)).toBe(false);
    expect(jsonNestsDeeperThan(`${'{"a":['.repeat(33)}${"]}".repeat(33)}`)).toBe(true);
    expect(jsonNestsDeeperThan(`${'{"a":['.repeat(32)}${"]}".repeat(32)}`)).toBe(false);
  });

  it("names the path of a refused value deep inside arrays and objects", () => {
    expect(findUnsafeValue({ a: [{ b: 1 }, { c: ["ok", "x\u0000"] }] })).toMatchObject({ field: "a[1].c[1]" });
    expect(findUnsafeValue({ a: { "k\u0000": 1 } })).toMatchObject({ field: "a", problem: expect.stringContaining("key") });
    expect(findUnsafeValue("x\u0000")).toMatchObject({ field: "(input)" });
  });
});

describe("bodies", () => {
  it("stops reading a streamed body at the limit", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += chunk.byteLength;
        if (pulled > 30 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    const req = new Request("http://pier.test/x", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    await expect(readBoundedBody(req, 1024 * 1024)).rejects.toMatchObject({ status: 413 });
    // Cut off at the limit (plus what the stream had queued), not read whole (30 MB).
    expect(pulled).toBeLessThan(2 * 1024 * 1024);
  });

  it("refuses a declared oversize body without reading it, and parses JSON with the rules", async () => {
    const req = new Request("http://pier.test/x", { method: "POST", body: "{}", headers: { "content-length": String(50_000_000) } });
    await expect(readBoundedBody(req, 1000)).rejects.toBeInstanceOf(BodyRefusal);
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(() => parseJsonBody(bytes(nested(5000)))).toThrow(/nested deeper/);
    expect(() => parseJsonBody(bytes('{"a":{"b":"\\u0000"}}'))).toThrow(expect.objectContaining({ status: 400, field: "a.b" }));
    expect(() => parseJsonBody(bytes('{"a":"\\ud800"}'))).toThrow(expect.objectContaining({ field: "a" }));
    expect(() => parseJsonBody(bytes(""))).toThrow(expect.objectContaining({ reason: "empty_body" }));
    expect(parseJsonBody(bytes('{"ok":[1,"two"]}'))).toEqual({ ok: [1, "two"] });
  });
});

describe("zod rules", () => {
  it("keeps cursors within bigint, weeks on the calendar and dates storable", () => {
    const cursor = bigintCursor("afterId");
    expect(cursor.safeParse("99999999999999999999999").success).toBe(false);
    expect(cursor.safeParse("9223372036854775808").success).toBe(false);
    expect(cursor.safeParse("9223372036854775807").success).toBe(true);
    expect(cursor.safeParse("-1").success).toBe(false);
    const week = calendarDate("week");
    expect(week.safeParse("2026-99-99").success).toBe(false);
    expect(week.safeParse("2026-02-30").success).toBe(false);
    expect(week.safeParse("2026-03-02").success).toBe(true);
    const date = dateInput("from");
    expect(date.safeParse("+275760-09-13T00:00:00Z").success).toBe(false);
    expect(date.safeParse("0001-01-01").success).toBe(false);
    expect(date.safeParse("2026-03-02T10:00:00Z").success).toBe(true);
  });

  it("has one URL rule: absolute http(s) only", () => {
    for (const bad of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>x</script>", "vbscript:x", "/relative", "ftp://x.example"]) {
      expect(isHttpUrl(bad)).toBe(false);
      expect(httpUrl.safeParse(bad).success).toBe(false);
    }
    expect(isHttpUrl("https://runbooks.example.com/payments")).toBe(true);
    expect(httpUrl.safeParse("  http://x.example/a  ").success).toBe(true);
  });
});

describe("classifyFailure", () => {
  it("tells data the database refuses from an unavailable database and from bugs", async () => {
    const db = getDb();
    const pgError = await sql`SELECT ${"a\u0000b"}::text`.execute(db.kysely).catch((e: unknown) => e);
    expect(classifyFailure(pgError)).toBe("invalid_data");
    const outOfRange = await sql`SELECT ${"99999999999999999999999"}::bigint`.execute(db.kysely).catch((e: unknown) => e);
    expect(classifyFailure(outOfRange)).toBe("invalid_data");
    const prismaError = await db.deploymentLog.findMany({ where: { id: { gt: BigInt("99999999999999999999999") } } }).catch((e: unknown) => e);
    expect(classifyFailure(prismaError)).toBe("invalid_data");
    expect(classifyFailure(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe("unavailable");
    expect(classifyFailure(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }))).toBe("unavailable");
    expect(classifyFailure(new TypeError("x is undefined"))).toBe("internal");
  });
});
