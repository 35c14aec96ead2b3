// Demo notification setup: channels pointing at example.com endpoints (disabled, so nothing is ever sent from a
// demo) and routes showing each feature: paging on prod failures, approver pings with escalation, a tier-1 release
// digest, incidents, and a quiet-at-night catch-all. Idempotent: upserts by name.
import type { Db, Prisma } from "../../server/db";
import { encryptJson } from "../../server/platform/secrets";

const CHANNELS = [
  { name: "#releases (Slack)", type: "slack", secret: { url: "https://hooks.example.com/services/T0DEMO/B0DEMO/demo-token" }, settings: {} },
  {
    name: "Platform on-call (PagerDuty)",
    type: "pagerduty",
    secret: { routingKey: "demo0000000000000000000000000000" },
    settings: { baseUrl: "https://events.example.com" },
  },
  {
    name: "Approvers (email)",
    type: "email",
    secret: { password: "" },
    settings: { host: "smtp.example.com", port: 587, secure: false, username: "", from: "pier@example.com", to: [] },
  },
  {
    name: "Ops webhook",
    type: "webhook",
    secret: { url: "https://hooks.example.com/pier", signingSecret: "demo-signing-secret-change-me", headers: {} },
    settings: {},
  },
  { name: "Release managers (Teams)", type: "teams", secret: { url: "https://example.webhook.office.com/workflows/demo" }, settings: { format: "workflows" } },
] as const;

type Route = Omit<Prisma.NotificationRouteCreateInput, "position" | "channelIds"> & { channels: string[]; escalationChannels?: string[] };

const ROUTES: Route[] = [
  {
    name: "Prod deployment failures page the owning team",
    matchers: [
      { label: "type", op: "=~", value: "deployment\\.(failed|rolled_back)" },
      { label: "environment", op: "=", value: "prod" },
    ],
    channels: ["Platform on-call (PagerDuty)", "#releases (Slack)"],
    roleRecipients: ["owning_team_oncall", "requester"],
    continue: true,
  },
  {
    name: "Pending approvals ping the approvers",
    matchers: [{ label: "type", op: "=", value: "deployment.requested" }],
    channels: ["Approvers (email)"],
    roleRecipients: ["eligible_approvers", "requester"],
    escalationChannels: ["#releases (Slack)"],
    escalation: { afterMinutes: 30, channelIds: [], roleRecipients: ["owning_team_oncall"] },
    continue: true,
  },
  {
    name: "Tier-1 releases (digest)",
    matchers: [
      { label: "tier", op: "=", value: "1" },
      { label: "type", op: "=~", value: "deployment\\..*" },
    ],
    channels: ["#releases (Slack)", "Release managers (Teams)"],
    groupBy: ["service"],
    groupWaitSec: 30,
    groupIntervalSec: 300,
    continue: true,
  },
  {
    name: "Incidents, day and night",
    matchers: [{ label: "type", op: "=~", value: "incident\\..*" }],
    channels: ["Platform on-call (PagerDuty)", "#releases (Slack)"],
    roleRecipients: ["owning_team_oncall"],
  },
  {
    name: "Everything else, quiet at night",
    matchers: [{ label: "type", op: "!=", value: "test.event" }],
    channels: ["Ops webhook"],
    repeatIntervalSec: 3600,
    quietHours: { timeZone: "Europe/Paris", start: "22:00", end: "07:00", days: [], action: "drop", exceptSeverities: ["critical"] },
  },
];

export async function seedNotifications(db: Db) {
  const ids: Record<string, string> = {};
  for (const c of CHANNELS) {
    const row = await db.notificationChannel.upsert({
      where: { name: c.name },
      update: {},
      create: { name: c.name, type: c.type, enabled: false, secretEncrypted: encryptJson(c.secret), settings: c.settings as Prisma.InputJsonObject },
      select: { id: true },
    });
    ids[c.name] = row.id;
  }
  let position = 10;
  for (const { channels, escalationChannels, escalation, ...r } of ROUTES) {
    const existing = await db.notificationRoute.findFirst({ where: { name: r.name }, select: { id: true } });
    if (!existing) {
      await db.notificationRoute.create({
        data: {
          ...r,
          position,
          channelIds: channels.map((n) => ids[n]),
          escalation: escalation ? { ...(escalation as object), channelIds: (escalationChannels ?? []).map((n) => ids[n]) } : undefined,
        },
      });
    }
    position += 10;
  }
  await db.notificationTemplate.upsert({
    where: { eventType_channelType: { eventType: "deployment.failed", channelType: "slack" } },
    update: {},
    create: {
      eventType: "deployment.failed",
      channelType: "slack",
      title: ":rotating_light: {{service}} {{version}} failed in {{environment}}",
      body: "{{reason}}\nRequested by {{requester}} · on-call: {{oncall}}\n{{url}}",
    },
  });
}
