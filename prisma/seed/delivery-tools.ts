// A few webhook deliveries from the delivery tools (GitLab, Argo CD, HCP Terraform), stored as the endpoints store
// them and translated by the real ingest worker, so a newcomer sees pipeline runs, a GitLab deployment and merge,
// an Argo CD sync and a health-degraded signal, and an infrastructure run, plus each source's last event on
// Admin → Integrations. The payloads follow the vendors' shapes (shared fixtures: gitlab/, terraform/; Argo CD: the
// templates in deploy/integrations/argocd-notifications-cm.yaml). Idempotent: skipped once seeded.
import type { Db } from "../../server/db";
import { recordPastInboundEvents } from "../../server/ingest/ingest-worker";

const HOUR = 3_600_000;

/** GitLab's own time format ("2026-12-01 09:14:03 UTC"). */
const gl = (d: Date) =>
  d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");

export async function seedDeliveryTools(db: Db, now = new Date()) {
  if ((await db.inboundEvent.count({ where: { source: { in: ["gitlab", "argocd", "terraform"] }, externalId: { startsWith: "seed-" } } })) > 0)
    return { skipped: "already seeded" };
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * HOUR);
  const sha = "9f2c41e7b5d08a63c1e4f7a2b9d0c58e3a6f1b27";
  const project = {
    id: 42,
    name: "checkout-api",
    path_with_namespace: "acme/checkout-api",
    default_branch: "main",
    web_url: "https://gitlab.example.com/acme/checkout-api",
  };
  // The terraform/workspace annotation maps the workspace to the catalog's database service.
  const postgres = await db.service.findUnique({ where: { slug: "postgres-main" }, select: { id: true, annotations: true } });
  if (postgres)
    await db.service.update({
      where: { id: postgres.id },
      data: { annotations: { ...(postgres.annotations as Record<string, unknown>), "terraform/workspace": "acme/postgres-main-prod" } },
    });

  const events: { source: string; externalId: string; type: string; receivedAt: Date; payload: Record<string, unknown> }[] = [
    {
      source: "gitlab",
      externalId: "seed-gitlab-mr-1",
      type: "merge_request",
      receivedAt: at(30),
      payload: {
        object_kind: "merge_request",
        project,
        object_attributes: {
          iid: 318,
          action: "merge",
          state: "merged",
          title: "Retry card authorisation on gateway timeouts",
          created_at: gl(at(52)),
          updated_at: gl(at(30)),
          merge_commit_sha: sha,
          last_commit: { id: "c1d2e3f4a5b60718293a4b5c6d7e8f9012345678", timestamp: at(54).toISOString() },
          url: "https://gitlab.example.com/acme/checkout-api/-/merge_requests/318",
        },
      },
    },
    {
      source: "gitlab",
      externalId: "seed-gitlab-pipeline-1",
      type: "pipeline",
      receivedAt: at(29),
      payload: {
        object_kind: "pipeline",
        project,
        object_attributes: { id: 90211, iid: 1204, name: "main", ref: "main", sha, status: "success", created_at: gl(at(29.9)), finished_at: gl(at(29.6)) },
      },
    },
    {
      source: "gitlab",
      externalId: "seed-gitlab-deploy-1",
      type: "deployment",
      receivedAt: at(29),
      payload: {
        object_kind: "deployment",
        status: "success",
        status_changed_at: gl(at(29.5)).replace(" UTC", " +0000"),
        deployment_id: 5120,
        environment: "staging",
        project,
        short_sha: sha.slice(0, 8),
        commit_url: `https://gitlab.example.com/acme/checkout-api/-/commit/${sha}`,
      },
    },
    {
      source: "argocd",
      externalId: "seed-argocd-sync-1",
      type: "on-deployed",
      receivedAt: at(5),
      payload: {
        event: "on-deployed",
        app: "payment-gateway",
        appNamespace: "argocd",
        cluster: "prod-eu-1",
        namespace: "payments",
        environment: "prod",
        health: "Healthy",
        revision: "4b1e0f3c9a7d2e6b8c5f1a0d9e8b7c6a5f4e3d2c",
        phase: "Succeeded",
        startedAt: at(6).toISOString(),
        finishedAt: at(5.9).toISOString(),
      },
    },
    {
      source: "argocd",
      externalId: "seed-argocd-degraded-1",
      type: "on-health-degraded",
      receivedAt: at(5.5),
      payload: {
        event: "on-health-degraded",
        app: "payment-gateway",
        appNamespace: "argocd",
        cluster: "prod-eu-1",
        namespace: "payments",
        environment: "prod",
        health: "Degraded",
        revision: "4b1e0f3c9a7d2e6b8c5f1a0d9e8b7c6a5f4e3d2c",
        at: at(5.5).toISOString(),
      },
    },
    {
      source: "terraform",
      externalId: "seed-terraform-run-1",
      type: "run:completed",
      receivedAt: at(3),
      payload: {
        payload_version: 1,
        notification_configuration_id: "nc-seedDemo0000001",
        run_url: "https://app.terraform.io/app/acme/postgres-main-prod/runs/run-seedDemo0000001",
        run_id: "run-seedDemo0000001",
        run_message: "Raise max_connections to 400",
        run_created_at: at(3.3).toISOString(),
        run_created_by: "sam",
        workspace_id: "ws-seedDemo0000001",
        workspace_name: "postgres-main-prod",
        organization_name: "acme",
        notifications: [{ message: "Applied", trigger: "run:completed", run_status: "applied", run_updated_at: at(3).toISOString(), run_updated_by: "sam" }],
      },
    },
  ];
  const stored = await recordPastInboundEvents(db, events);
  return { events: stored };
}
