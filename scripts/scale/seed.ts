// bench:scale's data: two environments, dev services (no approval: a request goes straight to the simulator) and
// prod services (2 approvals), developers in every team, approvers, a pool of pending prod requests that need 3
// approvals (what the approvers decide), an ingest token, and the notification routes to the sink.
import { Client } from "pg";
import { createDb, closeDb } from "../../server/db";
import { defaultPolicy } from "../../server/deployments/approval-policy";
import { createIngestToken } from "../../server/ingest/ingest-tokens";
import { encryptJson } from "../../server/platform/secrets";

type SeedOptions = { devServices: number; prodServices: number; developers: number; approvers: number; pendingPool: number; fanout: number };

export type Seeded = {
  token: string;
  devServices: { id: string; slug: string }[];
  prodServices: { id: string; slug: string }[];
  environments: { dev: string; prod: string };
  notify: { service: { id: string; slug: string; name: string; teamId: string }; team: { slug: string } };
  developers: string[];
  approvers: string[];
};

export async function seed(databaseUrl: string, sinkPort: number, o: SeedOptions): Promise<Seeded> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO "Environment" (id, name, rank, "isProduction") VALUES ('env-dev','dev',10,false),('env-prod','prod',30,true) ON CONFLICT DO NOTHING`,
    );
    await c.query(`INSERT INTO "Team" (id, slug, name, "updatedAt") SELECT 'team-' || i, 'team-' || i, 'Team ' || i, now() FROM generate_series(1, 4) i`);
    // Simulator settings: short runs, 10 % fail (the reconciler, retries and failure paths get exercised too).
    await c.query(
      `INSERT INTO "Service" (id, slug, name, "teamId", tier, "updatedAt") SELECT 'svc-d-' || i, 'svc-d-' || i, 'Dev service ' || i, 'team-' || (1 + i % 4), 2, now() FROM generate_series(1, $1::int) i`,
      [o.devServices],
    );
    await c.query(
      `INSERT INTO "Service" (id, slug, name, "teamId", tier, "updatedAt") SELECT 'svc-p-' || i, 'svc-p-' || i, 'Prod service ' || i, 'team-' || (1 + i % 4), 1, now() FROM generate_series(1, $1::int) i`,
      [o.prodServices],
    );
    await c.query(`INSERT INTO "Service" (id, slug, name, "teamId", tier, "updatedAt") VALUES ('svc-notify', 'svc-notify', 'Notify', 'team-1', 1, now())`);
    await c.query(
      `INSERT INTO "ServiceEnvironment" ("serviceId", "environmentId", "currentVersion", executor, "executorConfig")
       SELECT id, 'env-dev', '1.0.0', 'simulator', '{"durationMs": 600, "failureRate": 0.1}'::jsonb FROM "Service" WHERE id LIKE 'svc-d-%'`,
    );
    await c.query(
      `INSERT INTO "ServiceEnvironment" ("serviceId", "environmentId", "currentVersion", executor, "executorConfig")
       SELECT id, 'env-prod', '1.0.0', 'simulator', '{"durationMs": 200, "failureRate": 0.1}'::jsonb FROM "Service" WHERE id LIKE 'svc-p-%' OR id = 'svc-notify'`,
    );
    await c.query(
      `INSERT INTO "User" (id, email, name, role, provider, "updatedAt") SELECT 'dev-' || i, 'dev' || i || '@scale', 'Dev ' || i, 'developer', 'demo', now() FROM generate_series(1, $1::int) i`,
      [o.developers],
    );
    await c.query(`INSERT INTO "TeamMember" ("teamId", "userId") SELECT t.id, u.id FROM "Team" t CROSS JOIN "User" u WHERE u.id LIKE 'dev-%'`);
    await c.query(
      `INSERT INTO "User" (id, email, name, role, provider, "updatedAt") SELECT 'approver-' || i, 'a' || i || '@scale', 'Approver ' || i, 'approver', 'demo', now() FROM generate_series(1, $1::int) i`,
      [o.approvers],
    );
    await c.query(
      `INSERT INTO "ApprovalPolicy" (id, name, "environmentId", "requiredApprovals", "approverRole", "updatedAt") VALUES ('pol-prod', 'Prod', 'env-prod', 2, 'approver', now())`,
    );
    const snapshot = JSON.stringify({ ...defaultPolicy(true), policyId: "pol-prod", name: "Prod", scope: "environment", requiredApprovals: 3 });
    await c.query(
      `INSERT INTO "DeploymentRequest" (id, "serviceId", "environmentId", version, "previousVersion", status, "requesterId", "approvalsRequired", "policySnapshot", "riskScore", "riskReasons", summary, "createdAt", "updatedAt")
       SELECT 'pool-' || i, 'svc-p-' || (1 + i % $2::int), 'env-prod', '1.1.' || i, '1.0.0', 'pending_approval', 'dev-' || (1 + i % $3::int), 3, $1::jsonb, 40,
              '[{"factor":"environment","points":30,"detail":"prod is a production environment"}]'::jsonb, 'Change ' || i, now() - (i || ' seconds')::interval, now()
       FROM generate_series(1, $4::int) i`,
      [snapshot, o.prodServices, o.developers, o.pendingPool],
    );
    await c.query(`INSERT INTO "OutboundAllowEntry" (id, pattern, reason) VALUES ('allow-sink', $1, 'bench:scale sink')`, [`127.0.0.1:${sinkPort}`]);
    await c.query("ANALYZE");
  } finally {
    await c.end();
  }

  const db = createDb(databaseUrl, 2);
  try {
    const { token } = await createIngestToken(db, { id: null, label: "bench:scale" }, "bench:scale");
    const channel = await db.notificationChannel.create({
      data: {
        name: "sink",
        type: "webhook",
        secretEncrypted: encryptJson({ url: `http://127.0.0.1:${sinkPort}/sink`, signingSecret: "scale-signing-secret", headers: {} }),
      },
    });
    // The steady/burst test events match `fanout` routes (each continues to the next); deployment events one route.
    for (let i = 0; i < o.fanout; i++) {
      await db.notificationRoute.create({
        data: { name: `notify ${i}`, position: i, continue: true, channelIds: [channel.id], matchers: [{ label: "service", op: "=", value: "svc-notify" }] },
      });
    }
    await db.notificationRoute.create({
      data: {
        name: "deployments",
        position: o.fanout,
        continue: true,
        channelIds: [channel.id],
        matchers: [{ label: "service", op: "=~", value: "svc-[dp]-.*" }],
      },
    });
    return {
      token,
      devServices: Array.from({ length: o.devServices }, (_, i) => ({ id: `svc-d-${i + 1}`, slug: `svc-d-${i + 1}` })),
      prodServices: Array.from({ length: o.prodServices }, (_, i) => ({ id: `svc-p-${i + 1}`, slug: `svc-p-${i + 1}` })),
      environments: { dev: "env-dev", prod: "env-prod" },
      notify: { service: { id: "svc-notify", slug: "svc-notify", name: "Notify", teamId: "team-1" }, team: { slug: "team-1" } },
      developers: Array.from({ length: o.developers }, (_, i) => `dev-${i + 1}`),
      approvers: Array.from({ length: o.approvers }, (_, i) => `approver-${i + 1}`),
    };
  } finally {
    await closeDb(db);
  }
}
