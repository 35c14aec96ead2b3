// What tRPC answers are serialised with: superjson's wire format (the browser decodes it with superjson), written by
// a serialiser that handles what Pier's answers hold — plain objects, arrays, strings, numbers, booleans, null,
// Dates and undefined — and hands anything else to superjson itself.
//
// superjson's own serialiser copies the path and the list of ancestors for every value it visits, to annotate the
// values JSON cannot carry: on a 200-item approval inbox that is ~15 ms of CPU per answer against ~2.5 ms for
// JSON.stringify (measured on this machine under load), and it was the largest cost of an inbox call over HTTP.
// This one keeps one path stack and writes an annotation only where a Date or undefined is. The output is the same
// JSON and the same `meta.values` as superjson's (server/platform/wire-format.test.ts compares them on generated
// values); it omits `meta.referentialEqualities` (an object reached twice arrives as two equal copies, not one).
//
// A part of an answer that many answers share and nobody changes (an inbox item, the same for every approver who
// sees it) can be marked with `immutableAnswerPart`: it is frozen, and its serialised form is made on its first
// answer and reused by every later one (its annotations re-rooted at where it appears).
import superjson from "superjson";

type Annotations = Record<string, [string]>;
type SuperJsonResult = ReturnType<typeof superjson.serialize>;

/** Values this serialiser does not handle: the whole answer then goes through superjson. */
class NotPlain extends Error {}

const escapeKey = (key: string) => key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
/** Deeper than this is not an answer Pier writes (and may be a cycle): superjson handles it. */
const MAX_DEPTH = 64;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Parts marked immutable, and their serialised form once made (null until then): annotations relative to the part. */
const immutableParts = new WeakMap<object, { json: unknown; annotations: [string, [string]][] } | null>();

function deepFreeze(value: unknown) {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/**
 * Marks `value` as an answer part that is never changed from now on (it is frozen, deeply), so its serialised form
 * is made once and reused by every answer that holds it.
 */
export function immutableAnswerPart<T extends object>(value: T): T {
  deepFreeze(value);
  if (!immutableParts.has(value)) immutableParts.set(value, null);
  return value;
}

function walkImmutable(value: object, path: string[], annotations: Annotations): unknown {
  let made = immutableParts.get(value);
  if (!made) {
    const own: Annotations = {};
    made = { json: walk(value, [], own, false), annotations: Object.entries(own) };
    immutableParts.set(value, made);
  }
  if (made.annotations.length > 0) {
    const prefix = path.length === 0 ? "" : `${path.map(escapeKey).join(".")}.`;
    for (const [rel, kind] of made.annotations) annotations[prefix + rel] = kind;
  }
  return made.json;
}

function walk(value: unknown, path: string[], annotations: Annotations, reuse = true): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value) || Object.is(value, -0)) throw new NotPlain(); // superjson annotates NaN, ±Infinity, -0
      return value;
    case "undefined":
      annotations[path.map(escapeKey).join(".")] = ["undefined"];
      return null; // as superjson writes it
    case "object": {
      if (value === null) return null;
      if (path.length > MAX_DEPTH) throw new NotPlain();
      if (reuse && immutableParts.has(value)) return walkImmutable(value, path, annotations);
      if (value instanceof Date) {
        annotations[path.map(escapeKey).join(".")] = ["Date"];
        return value.toISOString();
      }
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          path.push(String(i));
          out[i] = walk(value[i], path, annotations);
          path.pop();
        }
        return out;
      }
      if (!isPlainObject(value)) throw new NotPlain();
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key)) throw new NotPlain(); // superjson refuses these (prototype pollution)
        path.push(key);
        out[key] = walk((value as Record<string, unknown>)[key], path, annotations);
        path.pop();
      }
      return out;
    }
    default:
      throw new NotPlain(); // bigint, symbol, function
  }
}

/** superjson.serialize's output for `value`, without its referential-equality annotations. */
export function serializeAnswer(value: unknown): SuperJsonResult {
  // A Date or undefined as the whole answer: annotated as the root (an array, not a path).
  if (value === undefined) return { json: null, meta: { values: ["undefined"], v: 1 } } as never;
  if (value instanceof Date) return { json: value.toISOString(), meta: { values: ["Date"], v: 1 } } as never;
  const annotations: Annotations = {};
  let json: unknown;
  try {
    json = walk(value, [], annotations);
  } catch (err) {
    if (err instanceof NotPlain) return superjson.serialize(value);
    throw err;
  }
  return Object.keys(annotations).length === 0 ? { json: json as never } : { json: json as never, meta: { values: annotations, v: 1 } as never };
}

/** tRPC's transformer: inputs as superjson decodes them, answers written by serializeAnswer (same format). */
export const wireTransformer = {
  input: superjson,
  output: { serialize: serializeAnswer, deserialize: (data: SuperJsonResult) => superjson.deserialize(data) },
};
