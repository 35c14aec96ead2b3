// A rollout plan: which targets go in which wave, how many at a time, how long to soak between waves, what to do
// with an unhealthy target and with a failed wave. Admins keep one default plan per environment (RolloutPlan); a
// rollout snapshots it when it starts, so editing the plan never changes a rollout under way.
import { z } from "zod";
import { analysisTemplateSchema, type AnalysisTemplate } from "./analysis";

const labelKey = z.string().trim().min(1).max(63);
const labelValue = z.string().trim().min(1).max(200);

const waveSchema = z.object({
  name: z.string().trim().min(1, "Name the wave").max(60),
  /** Targets whose labels all equal these (e.g. { region: "eu" }); none: any remaining target. */
  match: z.record(labelKey, labelValue).optional(),
  /** Share of the rollout's targets deployed once this wave is done (cumulative, like a canary's weight steps). */
  percent: z.number().int().min(1).max(100).optional(),
});
export type Wave = z.infer<typeof waveSchema>;

const ON_UNHEALTHY = ["hold", "skip"] as const;
const ON_FAILURE = ["rollback_all", "rollback_failed", "stop"] as const;

export const planSchema = z.object({
  waves: z.array(waveSchema).max(20).default([]),
  maxParallel: z.number().int().min(1, "maxParallel must be at least 1").max(100),
  soakSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600),
  onUnhealthy: z.enum(ON_UNHEALTHY),
  onFailure: z.enum(ON_FAILURE),
  analysis: analysisTemplateSchema.nullable().default(null),
});
export type RolloutPlanSpec = z.infer<typeof planSchema> & { analysis: AnalysisTemplate | null };

/** The plan of an environment that has targets but no plan yet: every target in one wave, two at a time. */
export const DEFAULT_PLAN: RolloutPlanSpec = { waves: [], maxParallel: 2, soakSeconds: 0, onUnhealthy: "hold", onFailure: "rollback_failed", analysis: null };

export type PlannedTarget = { id: string; name: string; labels: Record<string, string> };

const matches = (t: PlannedTarget, match: Record<string, string> | undefined) => !match || Object.entries(match).every(([k, v]) => t.labels[k] === v);

/**
 * Assigns each target to a wave: waves in order, each taking the remaining targets its `match` selects, up to its
 * cumulative `percent` of all targets (rounded up). Targets no wave took go in a last wave; empty waves are
 * dropped. Returns the waves as lists of targets (in name order), with their names.
 */
export function assignWaves(targets: readonly PlannedTarget[], waves: readonly Wave[]): { name: string; targets: PlannedTarget[] }[] {
  const remaining = [...targets].sort((a, b) => a.name.localeCompare(b.name));
  const total = remaining.length;
  let assigned = 0;
  const out: { name: string; targets: PlannedTarget[] }[] = [];
  for (const wave of waves) {
    let candidates = remaining.filter((t) => matches(t, wave.match));
    if (wave.percent !== undefined) candidates = candidates.slice(0, Math.max(0, Math.ceil((wave.percent * total) / 100) - assigned));
    for (const t of candidates) remaining.splice(remaining.indexOf(t), 1);
    assigned += candidates.length;
    if (candidates.length) out.push({ name: wave.name, targets: candidates });
  }
  if (remaining.length) out.push({ name: waves.length ? "rest" : "all targets", targets: remaining });
  return out;
}
