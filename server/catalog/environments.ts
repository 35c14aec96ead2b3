// Environments in promotion order. dev < staging < prod by default; admins add more (e.g. "qa" at rank 15).
import { z } from "zod";
import type { Db, Tx } from "../db";
import { recordAudit } from "../audit/audit-log";
import { DomainError, forbidden } from "../errors";
import { hasRole, type SessionUser } from "../identity/roles";

export const DEFAULT_ENVIRONMENTS = [
  { name: "dev", rank: 10, isProduction: false },
  { name: "staging", rank: 20, isProduction: false },
  { name: "prod", rank: 30, isProduction: true },
] as const;

export const createEnvironmentInput = z.object({
  name: z
    .string()
    .trim()
    .toLowerCase()
    .min(2, "At least 2 characters")
    .max(30, "At most 30 characters")
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Lowercase letters, digits and dashes (e.g. qa, eu-prod)"),
  rank: z.coerce.number({ error: "Rank is a number" }).int("Rank is a whole number").min(1, "Rank is at least 1").max(10_000),
  isProduction: z.boolean().default(false),
});
export type CreateEnvironmentInput = z.input<typeof createEnvironmentInput>;

export async function listEnvironments(db: Db | Tx) {
  return db.environment.findMany({ orderBy: { rank: "asc" }, select: { id: true, name: true, rank: true, isProduction: true } });
}

/** Seeds the three defaults when missing (idempotent). */
export async function ensureDefaultEnvironments(db: Db | Tx) {
  for (const e of DEFAULT_ENVIRONMENTS) {
    await db.environment.upsert({ where: { name: e.name }, update: {}, create: { ...e } });
  }
  return listEnvironments(db);
}

export async function createEnvironment(db: Db, user: SessionUser, raw: CreateEnvironmentInput) {
  if (!hasRole(user, "admin")) throw forbidden("Only admins may add environments");
  const input = createEnvironmentInput.parse(raw);
  return db.$transaction(async (tx) => {
    if (await tx.environment.findUnique({ where: { name: input.name } })) {
      throw new DomainError("CONFLICT", `There is already an environment called "${input.name}"`, "name");
    }
    const clash = await tx.environment.findUnique({ where: { rank: input.rank }, select: { name: true } });
    if (clash) throw new DomainError("CONFLICT", `Rank ${input.rank} is taken by "${clash.name}": ranks order promotion`, "rank");
    const env = await tx.environment.create({ data: input, select: { id: true, name: true, rank: true, isProduction: true } });
    await recordAudit(tx, {
      actor: { id: user.id, label: user.name },
      action: "catalog.environment_created",
      subjectType: "environment",
      subjectId: env.id,
      after: env,
    });
    return env;
  });
}
