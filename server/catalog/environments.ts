// Environments in promotion order. dev < staging < prod by default; admins add more (e.g. "qa" at rank 15).
import { z } from "zod";
import { newId, transaction, type Db } from "../db";
import { recordAudit } from "../audit/audit-log";
import { DomainError, forbidden } from "../errors";
import { actorOf, canAdminister } from "../identity/access";
import type { SessionUser } from "../identity/roles";

const DEFAULT_ENVIRONMENTS = [
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

export async function listEnvironments(db: Db) {
  return db.environment.findMany({ orderBy: { rank: "asc" }, select: { id: true, name: true, rank: true, isProduction: true } });
}

/** Seeds the three defaults when missing (idempotent). */
export async function ensureDefaultEnvironments(db: Db) {
  for (const e of DEFAULT_ENVIRONMENTS) {
    await db.environment.upsert({ where: { name: e.name }, update: {}, create: { ...e } });
  }
  return listEnvironments(db);
}

export async function createEnvironment(db: Db, user: SessionUser, raw: CreateEnvironmentInput) {
  if (!canAdminister(user)) throw forbidden("Only admins may add environments");
  const input = createEnvironmentInput.parse(raw);
  return transaction(db, async (tx) => {
    const taken = await tx
      .selectFrom("Environment")
      .select(["name", "rank"])
      .where((eb) => eb.or([eb("name", "=", input.name), eb("rank", "=", input.rank)]))
      .execute();
    if (taken.some((e) => e.name === input.name)) {
      throw new DomainError("CONFLICT", `There is already an environment called "${input.name}"`, "name");
    }
    const clash = taken.find((e) => e.rank === input.rank);
    if (clash) throw new DomainError("CONFLICT", `Rank ${input.rank} is taken by "${clash.name}": ranks order promotion`, "rank");
    const env = await tx
      .insertInto("Environment")
      .values({ id: newId(), ...input })
      .returning(["id", "name", "rank", "isProduction"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor: actorOf(user), action: "catalog.environment_created", subjectType: "environment", subjectId: env.id, after: env });
    return env;
  });
}
