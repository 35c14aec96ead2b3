import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { immutableAnswerPart, serializeAnswer } from "./wire-format";

/** superjson's own output, without what serializeAnswer leaves out (referential equalities). */
function superjsonWithoutIdentities(value: unknown) {
  const out = structuredClone(superjson.serialize(value)) as { json: unknown; meta?: Record<string, unknown> };
  if (out.meta) {
    delete out.meta.referentialEqualities;
    if (Object.keys(out.meta).length === 1) delete out.meta;
  }
  return out;
}

const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("a.b", "x\\y", "0", "", "..", "\\.", "createdAt"));
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }),
);
/** What Pier's answers hold: nested objects and arrays of strings, numbers, booleans, null, undefined and Dates. */
const answer = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5 }).filter((o) => !["__proto__", "constructor", "prototype"].some((k) => k in o && Object.hasOwn(o, k))),
})).value;

describe("answer serialisation", () => {
  it("writes what superjson writes (JSON and value annotations) for generated answers", () => {
    fc.assert(
      fc.property(answer, (value) => {
        expect(serializeAnswer(value)).toEqual(superjsonWithoutIdentities(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes in the browser (superjson.deserialize) to what superjson's own output decodes to", () => {
    fc.assert(
      fc.property(answer, (value) => {
        const browser = (payload: unknown) => superjson.deserialize(JSON.parse(JSON.stringify(payload)));
        expect(browser(serializeAnswer(value))).toEqual(browser(superjson.serialize(value)));
      }),
      { numRuns: 1000 },
    );
  });

  it("annotates Dates and undefined at their paths, escaping dots in keys", () => {
    const at = new Date("2026-12-02T07:00:00.000Z");
    expect(serializeAnswer({ items: [{ createdAt: at, "a.b": undefined }], at })).toEqual({
      json: { items: [{ createdAt: at.toISOString(), "a.b": null }], at: at.toISOString() },
      meta: { values: { "items.0.createdAt": ["Date"], "items.0.a\\.b": ["undefined"], at: ["Date"] }, v: 1 },
    });
    expect(serializeAnswer(at)).toEqual({ json: at.toISOString(), meta: { values: ["Date"], v: 1 } });
    expect(serializeAnswer({ n: 1, s: "x" })).toEqual({ json: { n: 1, s: "x" } });
    expect(serializeAnswer(undefined)).toEqual(superjson.serialize(undefined));
    expect(serializeAnswer({ "": undefined })).toEqual(superjson.serialize({ "": undefined }));
  });

  it("hands what it does not handle to superjson: Map, Set, BigInt, NaN, class instances, cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    class Point {
      constructor(readonly x: number) {}
    }
    for (const value of [
      { m: new Map([["k", 1]]) },
      { s: new Set([1]) },
      { b: BigInt(7) },
      { n: Number.NaN },
      { p: new Point(1) },
      cyclic,
      { e: new Error("x") },
    ])
      expect(serializeAnswer(value)).toEqual(superjson.serialize(value));
    expect(() => serializeAnswer(JSON.parse('{"__proto__": {"x": 1}}'))).toThrow(/prototype pollution/);
  });

  it("writes an immutable part as superjson would wherever it appears, and reuses its serialised form", () => {
    fc.assert(
      fc.property(fc.dictionary(key, answer, { maxKeys: 4 }), fc.array(key, { minLength: 1, maxLength: 3 }), (content, names) => {
        const safe = Object.fromEntries(Object.entries(content).filter(([k]) => !["__proto__", "constructor", "prototype"].includes(k)));
        const part = immutableAnswerPart(structuredClone(safe));
        // The same part at several paths, twice (the second answer reuses what the first made).
        const value = { list: names.map(() => part), nested: Object.fromEntries(names.map((n) => [n, { part }])) };
        const expected = superjsonWithoutIdentities(structuredClone(value));
        expect(serializeAnswer(value)).toEqual(expected);
        expect(serializeAnswer(value)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("freezes an immutable part deeply", () => {
    const part = immutableAnswerPart({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(part.a.b[1])).toBe(true);
    expect(() => {
      (part.a.b as unknown[]).push(3);
    }).toThrow();
  });
});
