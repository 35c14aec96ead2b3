// The input rules every edge applies before a value can reach the database (tRPC inputs, REST and webhook bodies,
// catalog files): no NUL bytes and no lone surrogates in any string or key (Postgres refuses both, so they would
// surface as 500s), bounded nesting and size, numeric cursors inside bigint's range, real calendar dates, and ONE
// rule for URLs that are stored and later rendered as links (http/https only: no javascript:, data:, …).
import { z } from "zod";

/** Nesting deeper than this is refused (real webhook payloads stay below 15 levels). */
export const MAX_INPUT_DEPTH = 64;
/** Values (strings, numbers, keys, …) in one input; a 1 MB JSON body holds far fewer meaningful ones. */
const MAX_INPUT_NODES = 200_000;

type UnsafeValue = { field: string; problem: string };

/** The first reason a string cannot be stored, or null. */
export function stringProblem(s: string): string | null {
  if (s.includes("\u0000")) return "contains a NUL character (\\u0000)";
  if (!s.isWellFormed()) return "contains invalid Unicode (a lone surrogate)";
  return null;
}

/** `a.b[0].c` — the field name a 400 answer and a form use. */
function fieldPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out || "(input)";
}

const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A Date Postgres' `timestamp` and the app's date arithmetic both handle: valid and within 1900…9999. */
const isStorableDate = (d: Date) => !Number.isNaN(d.getTime()) && d.getTime() >= EARLIEST && d.getTime() <= LATEST;

/**
 * Walks a decoded input (JSON, or superjson's values: Date, undefined) and returns the first value that may not go
 * further: a string or key with NUL/lone surrogates, nesting beyond `maxDepth`, too many values, a non-finite number,
 * an unusable Date, or a type no input of Pier's takes (BigInt, Map, Set, RegExp, class instances, …).
 */
export function findUnsafeValue(value: unknown, maxDepth = MAX_INPUT_DEPTH): UnsafeValue | null {
  // Each entry points at its parent instead of carrying its path: a path is only spelled out for the value refused.
  type Entry = { v: unknown; key: string | number | null; parent: Entry | null; depth: number };
  const at = (e: Entry) => {
    const path: (string | number)[] = [];
    for (let p: Entry | null = e; p && p.key !== null; p = p.parent) path.push(p.key);
    return fieldPath(path.reverse());
  };
  const stack: Entry[] = [{ v: value, key: null, parent: null, depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const entry = stack.pop()!;
    const v = entry.v;
    if (++nodes > MAX_INPUT_NODES) return { field: "(input)", problem: `holds more than ${MAX_INPUT_NODES} values` };
    if (v === null || v === undefined || typeof v === "boolean") continue;
    if (typeof v === "string") {
      const problem = stringProblem(v);
      if (problem) return { field: at(entry), problem };
      continue;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return { field: at(entry), problem: "must be a finite number" };
      continue;
    }
    if (v instanceof Date) {
      if (!isStorableDate(v)) return { field: at(entry), problem: "must be a valid date between the years 1900 and 9999" };
      continue;
    }
    if (typeof v !== "object") return { field: at(entry), problem: `a ${typeof v} is not accepted here` };
    if (entry.depth >= maxDepth) return { field: at(entry), problem: `is nested deeper than ${maxDepth} levels` };
    const depth = entry.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], key: i, parent: entry, depth });
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return { field: at(entry), problem: "is not a plain value (object, array, string, number, …)" };
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      const keyProblem = stringProblem(key);
      if (keyProblem) return { field: at(entry), problem: `has a key that ${keyProblem}` };
      stack.push({ v: (v as Record<string, unknown>)[key], key, parent: entry, depth });
    }
  }
  return null;
}

/**
 * Whether JSON text nests deeper than `maxDepth` (counted on the text, outside strings, before parsing it), so a
 * body of 100,000 `[` costs one pass and no parser recursion.
 */
export function jsonNestsDeeperThan(text: string, maxDepth = MAX_INPUT_DEPTH): boolean {
  // No text with at most maxDepth brackets (counted anywhere, strings included) can nest deeper: most webhook bodies
  // are settled by a few native indexOf calls instead of a look at each character (GitLab's 6 KB pipeline hook has
  // 29 of them; ~20 µs less per hook).
  if (openingBracketsAtMost(text, maxDepth)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Most of a JSON text is strings: jump to the closing quote (one not escaped by an odd run of backslashes)
      // with indexOf rather than looking at each character.
      for (;;) {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return false; // unterminated: JSON.parse refuses it
        let k = close - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        i = close;
        if ((close - 1 - k) % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** Whether `text` holds at most `max` opening brackets ([ and {) in all. */
function openingBracketsAtMost(text: string, max: number): boolean {
  let n = 0;
  for (const bracket of ["{", "["]) {
    for (let i = text.indexOf(bracket); i >= 0; i = text.indexOf(bracket, i + 1)) if (++n > max) return false;
  }
  return true;
}

// ---- zod rules for tRPC input schemas ----

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** A cursor over a bigint id (audit seq, log id): digits within Postgres' bigint range. */
export const bigintCursor = (name: string) =>
  z.string().refine((v) => /^\d{1,19}$/.test(v) && BigInt(v) <= MAX_BIGINT, `${name} must be a whole number from 0 to ${MAX_BIGINT}`);

/** A calendar date as YYYY-MM-DD that exists (2026-02-30 and 2026-99-99 do not). */
export const calendarDate = (name: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${name} is a YYYY-MM-DD date`)
    .refine((v) => {
      const d = new Date(`${v}T00:00:00Z`);
      return isStorableDate(d) && d.toISOString().slice(0, 10) === v;
    }, `${name} is not a date in the calendar`);

/** A date or date-time (Date, ISO text or epoch ms) within 1900…9999, which every date column stores. */
export const dateInput = (name: string) =>
  z.coerce.date({ error: `${name} must be a date` }).refine(isStorableDate, `${name} must be a date between the years 1900 and 9999`);

/**
 * THE rule for a URL Pier stores and shows as a link (service repository/runbook/links, team on-call, catalog
 * import): an absolute http(s) URL of at most 500 characters. Anything else (javascript:, data:, vbscript:, relative
 * paths) is refused.
 */
export function isHttpUrl(value: string): boolean {
  if (value.length > 500 || stringProblem(value)) return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export const HTTP_URL_MESSAGE = "Must be an http(s) URL";

/**
 * THE rule for a stored time zone (a user's display zone, freeze windows, quiet hours): an IANA name this runtime's
 * ICU knows — "Europe/Paris", "UTC", also legacy aliases like "US/Pacific" that Intl resolves.
 */
export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const TIME_ZONE_MESSAGE = "Unknown time zone: pick an IANA name like Europe/Paris";

export const httpUrl = z.string().trim().max(500).refine(isHttpUrl, HTTP_URL_MESSAGE);
