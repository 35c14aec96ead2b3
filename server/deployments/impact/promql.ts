// Checks a service's impact queries before they are stored: no PromQL parser runs in Node, so this catches what a
// person most often gets wrong (unbalanced brackets or quotes, unknown placeholders) and Prometheus judges the rest
// (its error answer is shown on the deployment page, never a 500).
import { z } from "zod";

const IMPACT_PLACEHOLDERS = ["service", "environment", "version"] as const;

/** Why a PromQL string is malformed, or null. */
export function promqlProblem(query: string): string | null {
  const closers: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: string[] = [];
  let quote: string | null = null;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (quote) {
      if (c === "\\" && quote !== "`") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (c in closers) {
      if (stack.pop() !== closers[c]) return `unexpected "${c}" at position ${i + 1}`;
    }
  }
  if (quote) return `unclosed ${quote} quote`;
  if (stack.length) return `unclosed "${stack[stack.length - 1]}"`;
  for (const m of query.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
    if (!(IMPACT_PLACEHOLDERS as readonly string[]).includes(m[1]))
      return `unknown placeholder {{${m[1]}}}; use ${IMPACT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`;
  }
  return null;
}

const promql = z
  .string()
  .trim()
  .max(2000)
  .superRefine((q, ctx) => {
    const problem = q ? promqlProblem(q) : null;
    if (problem) ctx.addIssue({ code: "custom", message: `Not valid PromQL: ${problem}` });
  })
  .transform((q) => (q === "" ? null : q));

/** The two queries; an empty string clears one. */
export const impactQueriesSchema = z.object({ errorRateQuery: promql, latencyQuery: promql });
export type ImpactQueries = z.output<typeof impactQueriesSchema>;
