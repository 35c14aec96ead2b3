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

function walk(value: unknown, path: string[], annotations: Annotations): unknown {
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
