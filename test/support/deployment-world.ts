// Test data for the deployments/approvals tests: environments dev/staging/prod, a service owned by a team, the
// people around it, and policies. Each test file has its own database; environments are upserted by name.
import type { Prisma } from "@/generated/prisma/client";
import { getDb } from "../../server/db";
import { callerFor, makeTeam, makeUser, uid } from "./factories";

async function environments() {
  const db = getDb();
  const up = (name: string, rank: number, isProduction = false) => db.environment.upsert({ where: { name }, update: {}, create: { name, rank, isProduction } });
  return { dev: await up("dev", 10), staging: await up("staging", 20), prod: await up("prod", 30, true) };
}

type WorldOptions = {
  tier?: number;
  executor?: string;
  executorConfig?: Prisma.InputJsonValue;
  policies?: Partial<Record<"dev" | "staging" | "prod", Partial<Prisma.ApprovalPolicyUncheckedCreateInput>>>;
};

export async function makeWorld(opts: WorldOptions = {}) {
  const db = getDb();
  const envs = await environments();
  const team = await makeTeam("Payments");
  const otherTeam = await makeTeam("Growth");
  const service = await db.service.create({ data: { slug: `svc-${uid()}`, name: `Checkout ${uid()}`, teamId: team.id, tier: opts.tier ?? 1 } });
  for (const env of Object.values(envs)) {
    await db.serviceEnvironment.create({
      data: {
        serviceId: service.id,
        environmentId: env.id,
        currentVersion: "1.0.0",
        executor: opts.executor ?? "simulator",
        executorConfig: opts.executorConfig ?? { durationMs: 0, failureRate: 0 },
      },
    });
  }
  for (const [name, p] of Object.entries(opts.policies ?? {})) {
    await db.approvalPolicy.create({
      data: { name: `${name} policy ${uid()}`, environmentId: envs[name as keyof typeof envs].id, serviceId: service.id, ...p },
    });
  }
  const developer = await makeUser("developer", [team.id]);
  const outsider = await makeUser("developer", [otherTeam.id]);
  const approver1 = await makeUser("approver", [otherTeam.id]);
  const approver2 = await makeUser("approver");
  const admin = await makeUser("admin");
  return { db, envs, team, otherTeam, service, developer, outsider, approver1, approver2, admin };
}

export type World = Awaited<ReturnType<typeof makeWorld>>;

export const as = async (user: { id: string } | null) => callerFor(user?.id ?? null);

export const requestInput = (w: World, env: keyof World["envs"], version: string, extra: Record<string, unknown> = {}) => ({
  serviceId: w.service.id,
  environmentId: w.envs[env].id,
  version,
  strategy: "rolling" as const,
  summary: "Ship the new checkout flow",
  ...extra,
});

/** Puts a request straight into a state (for table tests), bypassing the state machine on purpose. */
export async function forceStatus(id: string, status: Prisma.DeploymentRequestUpdateInput["status"]) {
  await getDb().deploymentRequest.update({ where: { id }, data: { status } });
}
