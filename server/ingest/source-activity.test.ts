// events.sourceActivity (Admin → Integrations): admins only; per webhook source the last event received, accepted
// events and refused requests, counted from what GitLab deliveries actually left in the database.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as gitlabPOST } from "@/app/api/webhooks/gitlab/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { createWebhookSecret } from "./webhook-secrets";

const PUSH = readFileSync(path.join(SHARED_FIXTURES, "gitlab", "push.json"));
const SECRET = "gitlab-activity-token-0123";
const send = (key: string, token: string) =>
  gitlabPOST(
    new Request("http://pier.test/api/webhooks/gitlab", {
      method: "POST",
      body: new Uint8Array(PUSH),
      headers: { "content-type": "application/json", "x-gitlab-event": "Push Hook", "x-gitlab-token": token, "idempotency-key": key },
    }),
  );

beforeAll(async () => {
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "gitlab_webhook", name: "GitLab", secret: SECRET });
});

describe("events.sourceActivity", () => {
  it("is for admins only", async () => {
    await expect((await callerFor(null)).events.sourceActivity()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      await expect(caller.events.sourceActivity()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
  });

  it("counts accepted events and refused requests per source, with the last event's time", async () => {
    const { caller } = await callerWithRole("admin");
    const before = (await caller.events.sourceActivity()).find((a) => a.source === "gitlab");
    expect(before).toEqual({ source: "gitlab", lastReceivedAt: null, accepted: 0, refused: 0, duplicates: 0 });
    expect((await send("act-1", SECRET)).status).toBe(202);
    expect((await send("act-2", SECRET)).status).toBe(202);
    expect((await send("act-2", SECRET)).status).toBe(200); // a duplicate is not a new event
    expect((await send("act-3", "wrong-token-value-xyz")).status).toBe(401);
    const after = (await caller.events.sourceActivity()).find((a) => a.source === "gitlab");
    expect(after).toMatchObject({ accepted: 2, refused: 1, duplicates: 1 });
    expect(after?.lastReceivedAt).toBeInstanceOf(Date);
    expect((await caller.events.sourceActivity()).map((a) => a.source)).toEqual([
      "github",
      "pagerduty",
      "gitlab",
      "argocd",
      "terraform",
      "jenkins",
      "jira",
      "unleash",
      "launchdarkly",
      "flagsmith",
    ]);
  });
});
