// Demo approval policies (dev: none, staging: 1 approver, prod: 2 approvers), a weekend freeze on prod, short
// simulator runs for the demo services, and a few historical requests so history, inbox and evidence have content.
// Idempotent: policies upsert by name, history by fixed ids, its audit trails are appended once per request.
import { transaction, type Db, type Prisma } from "../../server/db";
import { recordAudits } from "../../server/audit/audit-log";
import { defaultPolicy, eligibleApproverIds, type PolicySnapshot } from "../../server/deployments/approval-policy";
import { setHistoricalRevision } from "../../server/deployments/request-store";
import { createRequest } from "../../server/deployments/requests";
import { loadSessionUser } from "../../server/identity/users";
import { historicalAuditTrail, TRAIL_INCLUDE } from "./deployment-audit-trail";

const POLICIES = [
  { name: "Development: no approval", env: "dev", requiredApprovals: 0, expiryMinutes: null, autoRollback: false },
  { name: "Staging: one approver", env: "staging", requiredApprovals: 1, expiryMinutes: 3 * 24 * 60, autoRollback: false },
  { name: "Production: two approvers", env: "prod", requiredApprovals: 2, expiryMinutes: 24 * 60, autoRollback: true },
] as const;

// Short, reliable simulator runs for the services the demo walks through (the e2e journey uses checkout-api).
const FAST_SIMULATOR = { durationMs: 3000, failureRate: 0 };
const DEMO_SIMULATOR = { durationMs: 8000, failureRate: 0.1 };

type History = {
  id: string;
  service: string;
  env: string;
  version: string;
  previousVersion: string;
  status: "succeeded" | "failed" | "rolled_back" | "rejected" | "pending_approval";
  daysAgo: number;
  requester: string;
  approvers: string[];
  summary: string;
  ticketKey?: string;
};

const HISTORY: History[] = [
  {
    id: "seed-dr-checkout-1",
    service: "checkout-api",
    env: "staging",
    version: "1.9.0",
    previousVersion: "1.8.4",
    status: "succeeded",
    daysAgo: 12,
    requester: "demo-dana",
    approvers: ["demo-alex"],
    summary: "Apple Pay button",
    ticketKey: "PAY-101",
  },
  {
    id: "seed-dr-checkout-2",
    service: "checkout-api",
    env: "prod",
    version: "1.9.0",
    previousVersion: "1.8.4",
    status: "succeeded",
    daysAgo: 11,
    requester: "demo-dana",
    approvers: ["demo-alex", "demo-priya"],
    summary: "Apple Pay button",
    ticketKey: "PAY-101",
  },
  {
    id: "seed-dr-gateway-1",
    service: "payment-gateway",
    env: "prod",
    version: "2.3.0",
    previousVersion: "2.2.7",
    status: "rolled_back",
    daysAgo: 6,
    requester: "demo-dana",
    approvers: ["demo-alex", "demo-priya"],
    summary: "New 3-D Secure flow",
    ticketKey: "PAY-88",
  },
  {
    id: "seed-dr-storefront-1",
    service: "web-storefront",
    env: "staging",
    version: "4.2.0",
    previousVersion: "4.1.3",
    status: "failed",
    daysAgo: 4,
    requester: "demo-dana",
    approvers: ["demo-alex"],
    summary: "Checkout redesign behind a flag",
  },
  {
    id: "seed-dr-signup-1",
    service: "signup-service",
    env: "prod",
    version: "1.4.0",
    previousVersion: "1.3.2",
    status: "rejected",
    daysAgo: 2,
    requester: "demo-dana",
    approvers: [],
    summary: "Passwordless sign-up",
  },
];

export async function seedDeployments(db: Db) {
  const envs = await db.environment.findMany();
  const envId = (name: string) => envs.find((e) => e.name === name)?.id;
  for (const p of POLICIES) {
    const environmentId = envId(p.env);
    if (!environmentId) continue;
    const data = {
      name: p.name,
      environmentId,
      requiredApprovals: p.requiredApprovals,
      approverRole: "approver" as const,
      expiryMinutes: p.expiryMinutes,
      autoRollback: p.autoRollback,
    };
    const existing = await db.approvalPolicy.findFirst({ where: { environmentId, serviceId: null, tier: null } });
    if (!existing) await db.approvalPolicy.create({ data });
  }
  const prod = envId("prod");
  if (prod && !(await db.freezeWindow.findFirst({ where: { environmentId: prod, kind: "weekly" } }))) {
    await db.freezeWindow.create({
      data: {
        environmentId: prod,
        kind: "weekly",
        daysOfWeek: [6],
        startTime: "02:00",
        endTime: "05:00",
        timeZone: "Europe/Berlin",
        reason: "Saturday database maintenance",
      },
    });
  }

  // Date-range freezes: one that is over (the policies page marks it expired) and one still to come.
  if (prod && !(await db.freezeWindow.findFirst({ where: { environmentId: prod, kind: "range" } }))) {
    const day = 86_400_000;
    const at = (days: number) => new Date(Math.floor(Date.now() / day) * day + days * day);
    await db.freezeWindow.createMany({
      data: [
        { environmentId: prod, kind: "range", startsAt: at(-45), endsAt: at(-42), timeZone: "Europe/Berlin", reason: "Quarter-end code freeze" },
        { environmentId: prod, kind: "range", startsAt: at(60), endsAt: at(61), timeZone: "Europe/Berlin", reason: "Data centre move" },
      ],
    });
  }

  const services = await db.service.findMany({ select: { id: true, slug: true, tier: true } });
  const sid = (slug: string) => services.find((s) => s.slug === slug)?.id;
  for (const slug of ["checkout-api", "payment-gateway", "web-storefront", "signup-service"]) {
    const serviceId = sid(slug);
    if (!serviceId) continue;
    await db.serviceEnvironment.updateMany({ where: { serviceId }, data: { executorConfig: slug === "checkout-api" ? FAST_SIMULATOR : DEMO_SIMULATOR } });
  }

  const day = 86400_000;
  const ids = HISTORY.map((h) => h.id);
  const existing = new Set((await db.deploymentRequest.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
  for (const h of HISTORY) {
    const serviceId = sid(h.service);
    const environmentId = envId(h.env);
    if (!serviceId || !environmentId || existing.has(h.id)) continue;
    const at = new Date(Date.now() - h.daysAgo * day);
    const required = POLICIES.find((p) => p.env === h.env)?.requiredApprovals ?? 0;
    const snapshot: PolicySnapshot = {
      ...defaultPolicy(h.env === "prod"),
      name: POLICIES.find((p) => p.env === h.env)?.name ?? "Default",
      requiredApprovals: required,
      scope: "environment",
    };
    const finished = ["succeeded", "failed", "rolled_back", "rejected"].includes(h.status);
    const rejectedAt = new Date(at.getTime() + 600_000);
    await db.deploymentRequest.create({
      data: {
        id: h.id,
        serviceId,
        environmentId,
        version: h.version,
        previousVersion: h.previousVersion,
        summary: h.summary,
        ticketKey: h.ticketKey ?? null,
        status: h.status,
        requesterId: h.requester,
        approvalsRequired: required,
        approvedBy: h.approvers,
        policySnapshot: snapshot as unknown as Prisma.InputJsonObject,
        riskScore: h.env === "prod" ? 55 : 20,
        riskReasons: [{ factor: "environment", points: h.env === "prod" ? 30 : 10, detail: `${h.env} environment` }],
        createdAt: at,
        queuedAt: h.status === "rejected" ? null : new Date(at.getTime() + 3600_000),
        startedAt: h.status === "rejected" ? null : new Date(at.getTime() + 3600_000),
        // A rejection ends the request when it is recorded.
        finishedAt: h.status === "rejected" ? rejectedAt : finished ? new Date(at.getTime() + 3700_000) : null,
        attempt: h.status === "rejected" ? 0 : 1,
        progress: h.status === "succeeded" || h.status === "rolled_back" ? 100 : 60,
        approvals: {
          create: [
            ...h.approvers.map((approverId, i) => ({
              approverId,
              decision: "approve",
              comment: i === 0 ? "Looks good" : "",
              createdAt: new Date(at.getTime() + (i + 1) * 600_000),
            })),
            ...(h.status === "rejected" ? [{ approverId: "demo-alex", decision: "reject", comment: "Needs a load test first", createdAt: rejectedAt }] : []),
          ],
        },
        logs:
          h.status === "rejected"
            ? undefined
            : {
                create: [
                  { message: `Simulator: deploying ${h.version}`, at: new Date(at.getTime() + 3600_000) },
                  {
                    message: h.status === "failed" ? "Health checks failed" : "Health checks passed",
                    level: h.status === "failed" ? "error" : "info",
                    at: new Date(at.getTime() + 3700_000),
                  },
                ],
              },
      },
    });
  }
  await recordHistoryTrails(db, ids);
}

/**
 * Appends the audit trail of every seeded historical request that has none yet (new ones, and those seeded before
 * the seed wrote trails), at the times it happened: one append, oldest first, so the chain runs in time order.
 * A request with any audit record already has its trail: running the seed again appends nothing. (A run that
 * stops before the append leaves requests without one, which the next run fills in.)
 */
async function recordHistoryTrails(db: Db, ids: string[]) {
  const audited = await db.auditEvent.findMany({
    where: { subjectType: "deployment_request", subjectId: { in: ids } },
    distinct: ["subjectId"],
    select: { subjectId: true },
  });
  // Read outside the transaction: Prisma loads included relations concurrently, which one transaction's connection cannot.
  const requests = await db.deploymentRequest.findMany({ where: { id: { in: ids, notIn: audited.map((a) => a.subjectId) } }, include: TRAIL_INCLUDE });
  if (requests.length === 0) return;
  const trails = await Promise.all(
    requests.map(async (r) => {
      const policy = r.policySnapshot as unknown as PolicySnapshot;
      return {
        id: r.id,
        ...historicalAuditTrail(r, await eligibleApproverIds(db.kysely, policy, { requesterId: r.requesterId, owningTeamId: r.service.teamId })),
      };
    }),
  );
  // Stable sort: a request's own entries are in time order already and keep their order on ties.
  const entries = trails.flatMap((t) => t.entries).sort((a, b) => a.at!.getTime() - b.at!.getTime());
  await transaction(db, async (tx) => {
    // Each row's revision as the transitions in its trail leave it.
    for (const t of trails) setHistoricalRevision(tx, t.id, t.revision);
    recordAudits(tx, entries);
  });
}

/**
 * Requests waiting for approval, so approvers find something in their inbox on first start. Made through the real
 * request path (promotion rule, policy, audit, outbox), each promoting the version live one stage below; skipped
 * when one is already pending or the rules refuse it right now (e.g. during the weekly prod freeze).
 */
export async function seedPendingRequests(db: Db) {
  const dana = await loadSessionUser(db, "demo-dana");
  if (!dana) return;
  const wanted = [
    { slug: "invoicing", from: "dev", to: "staging", summary: "PDF rendering on the new template engine", ticketKey: "PAY-142" },
    { slug: "ledger", from: "staging", to: "prod", summary: "Faster month-end close", ticketKey: "PAY-131" },
  ];
  for (const w of wanted) {
    const placements = await db.serviceEnvironment.findMany({
      where: { service: { slug: w.slug }, environment: { name: { in: [w.from, w.to] } } },
      select: { serviceId: true, environmentId: true, currentVersion: true, environment: { select: { name: true } } },
    });
    const from = placements.find((p) => p.environment.name === w.from);
    const to = placements.find((p) => p.environment.name === w.to);
    if (!from?.currentVersion || !to || from.currentVersion === to.currentVersion) continue;
    const pending = await db.deploymentRequest.count({ where: { serviceId: to.serviceId, environmentId: to.environmentId, status: "pending_approval" } });
    if (pending > 0) continue;
    try {
      await createRequest(db, dana, {
        serviceId: to.serviceId,
        environmentId: to.environmentId,
        version: from.currentVersion,
        strategy: "rolling",
        summary: w.summary,
        ticketKey: w.ticketKey,
      });
    } catch (err) {
      console.log(`pending request for ${w.slug} → ${w.to} not seeded: ${err instanceof Error ? err.message : err}`);
    }
  }
}
