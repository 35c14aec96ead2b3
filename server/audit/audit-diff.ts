// An audit record's before/after as the fields that changed: what the audit page shows instead of raw JSON.
// Nested objects are compared field by field ("policy.requiredApprovals"); arrays and deeper values as a whole.

export type DiffEntry = { path: string; kind: "added" | "removed" | "changed"; before?: unknown; after?: unknown };

const MAX_DEPTH = 3;
const MAX_ENTRIES = 40;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

function walk(before: unknown, after: unknown, path: string, depth: number, out: DiffEntry[]) {
  if (out.length >= MAX_ENTRIES || same(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after) && depth < MAX_DEPTH) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      walk(before[key], after[key], path ? `${path}.${key}` : key, depth + 1, out);
    }
    return;
  }
  if (before === undefined || before === null) out.push({ path, kind: "added", after });
  else if (after === undefined || after === null) out.push({ path, kind: "removed", before });
  else out.push({ path, kind: "changed", before, after });
}

/**
 * The fields that differ between `before` and `after` (either may be null: a creation or a deletion). A record that
 * only has `after` (an action's facts, not a row's change) lists those facts as added. At most MAX_ENTRIES entries.
 */
export function auditDiff(before: unknown, after: unknown): { entries: DiffEntry[]; truncated: boolean } {
  const out: DiffEntry[] = [];
  walk(before ?? {}, after ?? {}, "", 0, out);
  // A top-level scalar/array change has the empty path.
  const entries = out.map((e) => (e.path ? e : { ...e, path: "value" }));
  return { entries, truncated: entries.length >= MAX_ENTRIES };
}

/** A value as one line of text for the diff (long values cut with an ellipsis; the export has them whole). */
export function diffValue(v: unknown, max = 160): string {
  // An empty string shows as "" (not as nothing); other strings as they are, anything else as JSON.
  const text = typeof v === "string" && v !== "" ? v : (JSON.stringify(v) ?? String(v));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
