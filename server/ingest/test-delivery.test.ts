// events.sendTestDelivery ("Send a test event" on Admin → Integrations): admins only; refused naming the source until a
// secret exists; then each tool's test delivery passes its real endpoint with that secret and changes no metric.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { FLAG_TEST_DELIVERY, translateFeatureFlag } from "./feature-flag-webhooks";
import { processInboundEvent } from "./ingest-worker";
import { createWebhookSecret } from "./webhook-secrets";

const FLAG_FIXTURES = path.join(__dirname, "../../test/fixtures/feature-flags");
const flagFixture = (name: string) => JSON.parse(readFileSync(path.join(FLAG_FIXTURES, name), "utf8")) as unknown;

/** Every key path of a JSON value ("data.new_state.feature.name"); array items share the path "[]". */
function keyPaths(v: unknown, prefix = ""): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keyPaths(x, `${prefix}[]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => [`${prefix}${k}`, ...keyPaths(x, `${prefix}${k}.`)]);
  return [];
}

describe("events.sendTestDelivery", () => {
  it("is for admins only", async () => {
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      for (const source of ["gitlab", "unleash", "launchdarkly", "flagsmith"] as const)
        await expect(caller.events.sendTestDelivery({ source })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    for (const source of ["unleash", "launchdarkly", "flagsmith"] as const)
      await expect((await callerFor(null)).events.sendTestDelivery({ source })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // Refused before anything was sent (an admin without a secret gets BAD_REQUEST instead).
    expect(await getDb().inboundEvent.count()).toBe(0);
  });

  it("asks for a secret first, naming the field", async () => {
    const { caller } = await callerWithRole("admin");
    await expect(caller.events.sendTestDelivery({ source: "argocd" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.events.sendTestDelivery({ source: "nexus" as "gitlab" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("passes each tool's endpoint with the configured secret, stored (or verified) and ignored by the metrics", async () => {
    const { caller } = await callerWithRole("admin");
    for (const kind of ["gitlab_webhook", "argocd_webhook", "terraform_webhook", "jenkins_webhook", "jira_webhook"] as const)
      await createWebhookSecret(getDb(), systemActor("test"), { kind, name: `test ${kind}`, secret: `${kind}-secret-0123456789` });
    for (const source of ["gitlab", "argocd", "jenkins", "jira"] as const) {
      const answer = await caller.events.sendTestDelivery({ source });
      expect(answer).toMatchObject({ status: 202, body: { duplicate: false } });
      const id = (answer.body as { id: string }).id;
      expect(await processInboundEvent(getDb(), id)).toBe("ignored");
    }
    expect(await caller.events.sendTestDelivery({ source: "terraform" })).toMatchObject({ status: 200, body: { verified: true } });
    expect(await getDb().deployment.count()).toBe(0);
    expect(await getDb().change.count()).toBe(0);
    expect(await getDb().pipelineRun.count()).toBe(0);
    expect((await caller.events.sourceActivity()).find((a) => a.source === "argocd")?.accepted).toBe(1);
  });

  // Per feature-flag tool: the vendor's own flag-change shape (every key path is in one of the vendor's fixtures), through
  // the vendor's sender check (Bearer for Unleash, X-LD-Signature / X-Flagsmith-Signature HMACs), stored with the
  // vendor's event type; the worker recognises Pier's test flag and files nothing (no timeline entry, no data-quality
  // row), while the same body on another flag is a feature_flag environment change.
  const FLAG_CASES = [
    {
      source: "unleash",
      fixtures: ["unleash/feature-created.webhook-addon-snapshot.json", "unleash/feature-strategy-add.events-doc.json"],
      type: "feature-environment-enabled",
      change: { kind: "feature_flag", status: "on", environmentName: "development" },
    },
    {
      source: "launchdarkly",
      fixtures: ["launchdarkly/flag-update.sentry-test-hooks.json"],
      type: "flag.updateOn",
      change: { kind: "feature_flag", status: "on", environmentName: "test" },
    },
    {
      source: "flagsmith",
      fixtures: ["flagsmith/flag-updated.docs.json"],
      type: "FLAG_UPDATED",
      change: { kind: "feature_flag", status: "on", environmentName: "Development" },
    },
  ] as const;

  for (const c of FLAG_CASES)
    it(`sends ${c.source}'s own flag change through its sender check: accepted, stored, ignored by the metrics`, async () => {
      const { caller } = await callerWithRole("admin");
      await expect(caller.events.sendTestDelivery({ source: c.source })).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await createWebhookSecret(getDb(), systemActor("test"), {
        kind: `${c.source}_webhook`,
        name: `test ${c.source}`,
        secret: `${c.source}-secret-0123456789`,
      });
      const answer = await caller.events.sendTestDelivery({ source: c.source });
      expect(answer).toMatchObject({ status: 202, body: { duplicate: false } });
      const stored = await getDb().inboundEvent.findUniqueOrThrow({ where: { id: (answer.body as { id: string }).id } });
      expect(stored).toMatchObject({ source: c.source, type: c.type, status: "pending" });
      expect(stored.occurredAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
      const vendorPaths = new Set(c.fixtures.flatMap((f) => keyPaths(flagFixture(f))));
      expect(keyPaths(stored.payload).filter((p) => !vendorPaths.has(p))).toEqual([]);

      expect(await processInboundEvent(getDb(), stored.id)).toBe("ignored");
      expect(await getDb().environmentChange.count({ where: { source: c.source } })).toBe(0);
      expect((await caller.events.sourceActivity()).find((a) => a.source === c.source)).toMatchObject({ accepted: 1, refused: 0 });

      // The same body on a real flag is the canonical row a flag change makes.
      const payload = stored.payload as Record<string, unknown>;
      const renamed = JSON.parse(JSON.stringify(payload).replaceAll(FLAG_TEST_DELIVERY, "checkout-banner")) as Record<string, unknown>;
      expect(translateFeatureFlag(c.source, renamed)).toEqual([
        {
          kind: "environmentChange",
          change: expect.objectContaining({ ...c.change, source: c.source, revision: "checkout-banner", serviceName: "checkout-banner" }),
        },
      ]);
    });
});
