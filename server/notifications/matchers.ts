// Alertmanager-style label matchers: "=", "!=", "=~", "!~". Regexes are anchored (the whole value must match),
// as in Alertmanager, so `prod` does not accidentally match `preprod`.
import { z } from "zod";

const MATCH_OPS = ["=", "!=", "=~", "!~"] as const;
type MatchOp = (typeof MATCH_OPS)[number];
export type Matcher = { label: string; op: MatchOp; value: string };

const matcherSchema = z
  .object({
    label: z
      .string()
      .trim()
      .min(1, "label is required")
      .max(64)
      .regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, "label may hold letters, digits, _ and ."),
    op: z.enum(MATCH_OPS),
    value: z.string().max(500),
  })
  .superRefine((m, ctx) => {
    if (m.op === "=~" || m.op === "!~") {
      const err = regexError(m.value);
      if (err) ctx.addIssue({ code: "custom", path: ["value"], message: `invalid regex: ${err}` });
    }
  });

export const matchersSchema = z.array(matcherSchema).max(20);

function regexError(source: string): string | null {
  try {
    new RegExp(`^(?:${source})$`);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const regexCache = new Map<string, RegExp>();
function anchored(source: string) {
  let r = regexCache.get(source);
  if (!r) {
    r = new RegExp(`^(?:${source})$`);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(source, r);
  }
  return r;
}

/** A missing label counts as the empty string (Alertmanager semantics): `team!=""` means "has a team". */
export function matchOne(labels: Record<string, string>, m: Matcher): boolean {
  const v = labels[m.label] ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return anchored(m.value).test(v);
    case "!~":
      return !anchored(m.value).test(v);
  }
}

/** All matchers must hold; an empty list matches everything. */
export function matchAll(labels: Record<string, string>, matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => matchOne(labels, m));
}

/** Reads matchers stored as JSON, ignoring malformed entries rather than crashing the router. */
export function parseMatchers(json: unknown): Matcher[] {
  const parsed = matchersSchema.safeParse(json);
  return parsed.success ? parsed.data : [];
}
