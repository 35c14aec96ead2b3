// Demo events from Jenkins, Jira, a custom source and a migration event (after ./delivery-tools.ts): a ledger build and a deploy job's
// build (a deployment to staging, via the pier.dev/jenkins-deploy-jobs annotation), Jira statuses for the tickets
// the seeded deployment requests name and a Jira incident on the ledger, and a "release-bot" custom source whose
// JSONata mapping turns its JSON into a CDEvents deployment. Stored as the endpoints store them and translated by
// the real ingest worker (the custom source's event goes through its real endpoint handler). Idempotent.
import type { Db } from "../../server/db";
import { createCustomSource } from "../../server/ingest/custom-sources";
import { handleCustomSourcePost } from "../../server/ingest/custom-sources-http";
import { processInboundEvent, recordPastInboundEvents } from "../../server/ingest/ingest-worker";

const HOUR = 3_600_000;
const RELEASE_BOT_TOKEN = "demo-release-bot-token-0001";

/** The release bot's JSON → a CDEvents v0.5 service.deployed. */
const RELEASE_BOT_MAPPING = `{
  "context": {
    "specversion": "0.5.1",
    "id": "release-bot-" & release.id,
    "source": "https://release-bot.example",
    "type": "dev.cdevents.service.deployed.0.3.0",
    "timestamp": release.finished_at
  },
  "subject": {
    "id": "service/" & release.app,
    "content": { "environment": { "id": release.target }, "artifactId": "pkg:oci/" & release.app & "@" & release.tag }
  }
}`;

type Issue = { key: string; type: string; summary: string; status: string; category: string; priority: string; created: Date; resolved?: Date };

function jiraEvent(i: Issue, at: Date) {
  return {
    timestamp: at.getTime(),
    webhookEvent: "jira:issue_updated",
    issue_event_type_name: "issue_generic",
    issue: {
      id: String(10_000 + Number(i.key.split("-")[1])),
      key: i.key,
      self: `https://acme.atlassian.net/rest/api/2/issue/${10_000 + Number(i.key.split("-")[1])}`,
      fields: {
        summary: i.summary,
        issuetype: { name: i.type },
        priority: { name: i.priority },
        status: { name: i.status, statusCategory: { key: i.category } },
        project: { key: "PAY" },
        components: i.type === "Incident" ? [{ name: "ledger" }] : [],
        created: i.created.toISOString().replace("Z", "+0000"),
        resolutiondate: i.resolved ? i.resolved.toISOString().replace("Z", "+0000") : null,
      },
    },
  };
}

export async function seedDeliverySources(db: Db, now = new Date()) {
  if ((await db.inboundEvent.count({ where: { source: { in: ["jenkins", "jira"] }, externalId: { startsWith: "seed-" } } })) > 0)
    return { skipped: "already seeded" };
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * HOUR);
  const ledger = await db.service.findUnique({ where: { slug: "ledger" }, select: { id: true, annotations: true } });
  if (ledger)
    await db.service.update({
      where: { id: ledger.id },
      data: {
        annotations: {
          ...(ledger.annotations as Record<string, unknown>),
          "jenkins.io/job-full-name": "payments/ledger",
          "pier.dev/jenkins-deploy-jobs": "payments/ledger-deploy-staging=staging",
        },
      },
    });
  const build = (job: string, name: string, n: number, phase: string, status: string | null, hoursAgo: number) => ({
    name,
    url: `job/${job.split("/").join("/job/")}/`,
    build: {
      full_url: `https://jenkins.example.com/job/${job.split("/").join("/job/")}/${n}/`,
      number: n,
      phase,
      status,
      url: `job/${job.split("/").join("/job/")}/${n}/`,
      timestamp: at(hoursAgo).getTime(),
      duration: phase === "STARTED" ? 0 : 6 * 60_000,
      scm: { url: "https://git.example.com/payments/ledger.git", branch: "origin/main", commit: "5e7d3c1a9b8f2e4d6c0a1b3f5e7d9c2b4a6f8e01" },
    },
  });
  const issues: Issue[] = [
    { key: "PAY-101", type: "Story", summary: "Idempotent ledger postings", status: "Done", category: "done", priority: "Medium", created: at(300) },
    {
      key: "PAY-142",
      type: "Story",
      summary: "PDF invoices on the new template engine",
      status: "In Progress",
      category: "indeterminate",
      priority: "Medium",
      created: at(80),
    },
    { key: "PAY-131", type: "Story", summary: "Faster month-end close", status: "In Review", category: "indeterminate", priority: "High", created: at(120) },
    {
      key: "PAY-150",
      type: "Incident",
      summary: "Ledger postings delayed by 20 minutes",
      status: "Resolved",
      category: "done",
      priority: "Highest",
      created: at(20),
      resolved: at(18.5),
    },
  ];
  const events = [
    {
      source: "jenkins",
      externalId: "seed-jenkins-build-1",
      type: "started",
      receivedAt: at(8),
      payload: build("payments/ledger", "ledger", 412, "STARTED", null, 8),
    },
    {
      source: "jenkins",
      externalId: "seed-jenkins-build-2",
      type: "completed",
      receivedAt: at(7.9),
      payload: build("payments/ledger", "ledger", 412, "COMPLETED", "SUCCESS", 8),
    },
    {
      source: "jenkins",
      externalId: "seed-jenkins-deploy-1",
      type: "completed",
      receivedAt: at(7.5),
      payload: build("payments/ledger-deploy-staging", "ledger-deploy-staging", 87, "COMPLETED", "SUCCESS", 7.6),
    },
    {
      // The pipeline of checkout-api 1.9.0 in prod (a seeded, succeeded request) ran a database migration: its request
      // page and rollback confirmation warn with the down step.
      source: "cdevents",
      externalId: "seed-migration-checkout-190",
      type: "dev.cdeventsx.pier-migration.applied.0.1.0",
      receivedAt: at(11 * 24),
      payload: {
        context: {
          specversion: "0.5.1",
          id: "seed-migration-checkout-190",
          source: "/ci/checkout-api",
          type: "dev.cdeventsx.pier-migration.applied.0.1.0",
          timestamp: at(11 * 24).toISOString(),
        },
        subject: {
          id: "migration/20261120_add_wallet_tokens",
          content: {
            service: "checkout-api",
            environment: "prod",
            version: "1.9.0",
            migration: {
              id: "20261120_add_wallet_tokens",
              description: "Wallet tokens table for Apple Pay",
              down: "npm run migrate:down -- 20261120_add_wallet_tokens",
            },
          },
        },
      },
    },
    ...issues.map((i, n) => ({
      source: "jira",
      externalId: `seed-jira-${n}`,
      type: "jira:issue_updated",
      receivedAt: at(6 - n),
      payload: jiraEvent(i, at(6 - n)),
    })),
  ];
  const stored = await recordPastInboundEvents(db, events);

  let custom = 0;
  if (!(await db.customSource.findUnique({ where: { slug: "release-bot" } }))) {
    await createCustomSource(
      db,
      { id: null, label: "seed" },
      { slug: "release-bot", name: "Release bot", authType: "bearer", settings: {}, secret: RELEASE_BOT_TOKEN, expression: RELEASE_BOT_MAPPING },
    );
    const body = JSON.stringify({ release: { id: "r-2291", app: "recommendations", target: "dev", tag: "2.14.0", finished_at: at(2).toISOString() } });
    const res = await handleCustomSourcePost(
      new Request("http://localhost/api/webhooks/custom/release-bot", {
        method: "POST",
        body,
        headers: { "content-type": "application/json", authorization: `Bearer ${RELEASE_BOT_TOKEN}` },
      }),
      "release-bot",
      db,
    );
    if (res.status === 202) {
      await processInboundEvent(db, ((await res.json()) as { id: string }).id);
      custom = 1;
    }
  }
  return { events: stored, custom };
}
