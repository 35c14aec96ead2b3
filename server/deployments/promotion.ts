// Promotion rule: a version reaches an environment only after it succeeded in the previous one (by rank, among
// the environments this service runs in), unless the policy allows skipping. The answer explains itself for the form.
import type { Db } from "../db";
import { checkPromotionGate, type GateCheck } from "./promotion-gate";

export type PromotionCheck =
  | { ok: true; reason: string; previousEnvironment: { id: string; name: string } | null; gate?: GateCheck }
  | { ok: false; reason: string; previousEnvironment: { id: string; name: string }; gate?: GateCheck };

export async function checkPromotion(
  db: Db,
  input: { serviceId: string; environment: { id: string; name: string; rank: number }; version: string; allowSkip: boolean },
): Promise<PromotionCheck> {
  // The previous stage: the highest-ranked environment below this one that the service is set up in.
  const previous = await db.environment.findFirst({
    where: { rank: { lt: input.environment.rank }, services: { some: { serviceId: input.serviceId } } },
    orderBy: { rank: "desc" },
    select: { id: true, name: true },
  });
  if (!previous) return { ok: true, reason: `${input.environment.name} is the first stage for this service`, previousEnvironment: null };
  // An environment with a promotion gate (N of M targets, soak, evidence) decides by it (promotion-gate.ts).
  const gate = await checkPromotionGate(db, { serviceId: input.serviceId, environment: input.environment, previous, version: input.version });
  if (gate) return { ok: gate.ok, reason: gate.reason, previousEnvironment: previous, gate } as PromotionCheck;
  const [succeeded, running] = await Promise.all([
    db.deploymentRequest.findFirst({
      where: { serviceId: input.serviceId, environmentId: previous.id, version: input.version, status: "succeeded" },
      select: { id: true, finishedAt: true },
    }),
    db.serviceEnvironment.findFirst({
      where: { serviceId: input.serviceId, environmentId: previous.id, currentVersion: input.version },
      select: { serviceId: true },
    }),
  ]);
  if (succeeded || running) {
    return { ok: true, reason: `${input.version} succeeded in ${previous.name}`, previousEnvironment: previous };
  }
  if (input.allowSkip) {
    return { ok: true, reason: `${input.version} has not run in ${previous.name}, but the policy allows skipping stages`, previousEnvironment: previous };
  }
  return {
    ok: false,
    reason: `${input.version} has not succeeded in ${previous.name} yet. Deploy it to ${previous.name} first, then promote it to ${input.environment.name}.`,
    previousEnvironment: previous,
  };
}

/**
 * The promotion verdict as the change record keeps it (in the request's deployment.created audit record, so the
 * compliance evidence shows the gate as it stood when the request was made): passed or not, why, whether break-glass
 * went around it, and, for an environment with a gate, its targets, soak and evidence.
 */
export type PromotionRecord = {
  ok: boolean;
  reason: string;
  bypassed: boolean;
  gate: { targets: GateCheck["targets"]; soakUntil: string | null; evidence: GateCheck["evidence"] } | null;
};

export function promotionRecord(check: PromotionCheck, breakGlass: boolean): PromotionRecord {
  const { gate } = check;
  return {
    ok: check.ok,
    reason: check.reason,
    bypassed: breakGlass && !check.ok,
    gate: gate ? { targets: gate.targets, soakUntil: gate.soakUntil?.toISOString() ?? null, evidence: gate.evidence } : null,
  };
}
