// events.sendTestDelivery ("Send a test event" on Admin → Integrations): admins only; refused naming the source until a
// secret exists; then each tool's test delivery passes its real endpoint with that secret and changes no metric.
import { describe, expect, it } from "vitest";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { callerWithRole } from "../../test/support/factories";
import { processInboundEvent } from "./ingest-worker";
import { createWebhookSecret } from "./webhook-secrets";

describe("events.sendTestDelivery", () => {
  it("is for admins only", async () => {
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      await expect(caller.events.sendTestDelivery({ source: "gitlab" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
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
});
