// Feature-flag changes from Unleash, LaunchDarkly and Flagsmith, stored as their webhook endpoints store them and
// translated by the real ingest worker (payload shapes as in test/fixtures/feature-flags), so the payment gateway's
// page shows flag changes next to its deployments, and the incident that followed one lists it as a suspect.
// Idempotent: skipped once seeded.
import type { Db } from "../../server/db";
import { recordPastInboundEvents } from "../../server/ingest/ingest-worker";

const HOUR = 3_600_000;

export async function seedFeatureFlags(db: Db, now = new Date()) {
  if ((await db.inboundEvent.count({ where: { source: { in: ["unleash", "launchdarkly", "flagsmith"] }, externalId: { startsWith: "seed-" } } })) > 0)
    return { skipped: "already seeded" };
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * HOUR);
  // Each tool's project → the catalog service its flags belong to (the annotations Admin → Integrations documents).
  const annotate = async (slug: string, extra: Record<string, string>) => {
    const svc = await db.service.findUnique({ where: { slug }, select: { id: true, annotations: true } });
    if (svc) await db.service.update({ where: { id: svc.id }, data: { annotations: { ...(svc.annotations as Record<string, string>), ...extra } } });
    return svc?.id ?? null;
  };
  const gatewayId = await annotate("payment-gateway", { "launchdarkly/project-key": "payments" });
  await annotate("checkout-api", { "unleash/project": "checkout" });
  await annotate("fraud-scoring", { "flagsmith/project": "Fraud Scoring" });

  const member = { _id: "5f1d8a9e2c3b4a0012345678", email: "dana@acme.example", firstName: "Dana", lastName: "Ng" };
  const events = [
    {
      source: "launchdarkly",
      externalId: "seed-ld-toggle-1",
      type: "flag.updateOn",
      receivedAt: at(5.8),
      payload: {
        _id: "seed-ld-toggle-1",
        date: at(5.8).getTime(),
        kind: "flag",
        name: "3DS v2 challenge flow",
        description: "* Turned the flag on\n",
        accesses: [{ action: "updateOn", resource: "proj/payments:env/production:flag/three-ds-v2" }],
        member,
        titleVerb: "turned on the flag",
        title:
          "[Dana Ng](mailto:dana@acme.example) turned on the flag [3DS v2 challenge flow](https://app.launchdarkly.com/payments/production/features/three-ds-v2) in `Production`",
        _links: { site: { href: "/payments/production/features/three-ds-v2", type: "text/html" } },
      },
    },
    {
      source: "unleash",
      externalId: "event:seed-1",
      type: "feature-strategy-update",
      receivedAt: at(26),
      payload: {
        id: "seed-1",
        type: "feature-strategy-update",
        createdBy: "sam@acme.example",
        createdAt: at(26).toISOString(),
        featureName: "one-click-checkout",
        project: "checkout",
        environment: "production",
        label: "Flag strategy updated",
        data: { name: "flexibleRollout", parameters: { rollout: "25", stickiness: "default", groupId: "one-click-checkout" } },
        preData: { name: "flexibleRollout", parameters: { rollout: "5", stickiness: "default", groupId: "one-click-checkout" } },
      },
    },
    {
      source: "flagsmith",
      externalId: "seed-flagsmith-1",
      type: "FLAG_UPDATED",
      receivedAt: at(50),
      payload: {
        event_type: "FLAG_UPDATED",
        data: {
          changed_by: "Priya Raman",
          timestamp: at(50).toISOString(),
          new_state: {
            enabled: false,
            environment: { id: 3, name: "Production" },
            feature: { id: 88, name: "ml_scoring_v3", type: "STANDARD", project: { id: 7, name: "Fraud Scoring" } },
            feature_segment: null,
            identity: null,
            identity_identifier: null,
          },
          previous_state: {
            enabled: true,
            environment: { id: 3, name: "Production" },
            feature: { id: 88, name: "ml_scoring_v3", type: "STANDARD", project: { id: 7, name: "Fraud Scoring" } },
            feature_segment: null,
            identity: null,
            identity_identifier: null,
          },
        },
      },
    },
  ];
  const stored = await recordPastInboundEvents(db, events);
  // The incident the 3DS flag preceded: the incidents page offers the flag change as its suspect.
  const prod = await db.environment.findFirst({ where: { isProduction: true }, select: { id: true } });
  if (gatewayId)
    await db.incident.upsert({
      where: { source_externalId: { source: "seed", externalId: "seed-flag-incident-1" } },
      update: {},
      create: {
        serviceId: gatewayId,
        serviceName: "payment-gateway",
        environmentId: prod?.id ?? null,
        title: "Card payments failing 3DS challenges",
        severity: "high",
        detectedAt: at(5.2),
        resolvedAt: at(4.6),
        source: "seed",
        externalId: "seed-flag-incident-1",
      },
    });
  return { events: stored };
}
