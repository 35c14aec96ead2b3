// Admin → Integrations "Send a test event": a delivery shaped like the tool's own, authenticated with the first
// configured secret of its kind, through the real endpoint handler — so it proves the secret and the endpoint, and
// shows up as the source's last event. Test events change no DORA data: GitLab's is a push to a branch that is not the
// default one (stored, ignored), Argo CD's has event "test" (stored, ignored), Terraform's is HCP Terraform's own
// verification message (answered 200, not stored), Jenkins' is a QUEUED phase of the job "pier-test-delivery" (stored,
// ignored), Jira's a "pier:test_delivery" event (stored, ignored). The feature-flag tools' are each vendor's own flag
// change (Unleash's addon body, a LaunchDarkly audit-log entry, a Flagsmith FLAG_UPDATED; the shapes of
// test/fixtures/feature-flags) on the flag "pier-test-delivery", signed or authorised as the vendor does: stored, ignored.
import { createHmac, randomUUID } from "node:crypto";
import type { Db } from "../db";
import { badRequest } from "../errors";
import { env } from "../env";
import { handleArgocdPost, handleGitlabPost, handleJenkinsPost, handleJiraPost, handleTerraformPost } from "./delivery-webhooks-http";
import { handleFlagsmithPost, handleLaunchdarklyPost, handleUnleashPost } from "./feature-flag-webhooks-http";
import { FLAG_TEST_DELIVERY } from "./feature-flag-webhooks";
import { JENKINS_TEST_JOB } from "./jenkins-webhooks";
import { webhookSecrets, type WebhookKind } from "./webhook-secrets";

export const TEST_DELIVERY_SOURCES = ["gitlab", "argocd", "terraform", "jenkins", "jira", "unleash", "launchdarkly", "flagsmith"] as const;
type TestSource = (typeof TEST_DELIVERY_SOURCES)[number];

const KIND: Record<TestSource, WebhookKind> = {
  gitlab: "gitlab_webhook",
  argocd: "argocd_webhook",
  terraform: "terraform_webhook",
  jenkins: "jenkins_webhook",
  jira: "jira_webhook",
  unleash: "unleash_webhook",
  launchdarkly: "launchdarkly_webhook",
  flagsmith: "flagsmith_webhook",
};
const LABEL: Record<TestSource, string> = {
  gitlab: "GitLab",
  argocd: "Argo CD",
  terraform: "Terraform",
  jenkins: "Jenkins",
  jira: "Jira",
  unleash: "Unleash",
  launchdarkly: "LaunchDarkly",
  flagsmith: "Flagsmith",
};

const hexHmacSha256 = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

/** The feature-flag tools' own flag-change bodies (test/fixtures/feature-flags), on Pier's test flag. */
function flagChangeBody(source: "unleash" | "launchdarkly" | "flagsmith"): string {
  const flag = FLAG_TEST_DELIVERY;
  const now = new Date();
  switch (source) {
    case "unleash":
      // The Webhook addon posts JSON.stringify(event); Unleash numbers its events (the id is the delivery id).
      return JSON.stringify({
        id: now.getTime(),
        createdAt: now.toISOString(),
        createdByUserId: -1337,
        type: "feature-environment-enabled",
        createdBy: "Pier test event",
        featureName: flag,
        project: flag,
        environment: "development",
        data: { name: flag, enabled: true, strategies: [{ name: "default" }] },
      });
    case "launchdarkly": {
      const resource = `proj/${flag}:env/test:flag/${flag}`;
      const site = { href: `/${flag}/test/features/${flag}`, type: "text/html" };
      return JSON.stringify({
        _links: { canonical: { href: `/api/v2/flags/${flag}/${flag}`, type: "application/json" }, site },
        _id: randomUUID().replace(/-/g, "").slice(0, 24),
        date: now.getTime(),
        accesses: [{ action: "updateOn", resource }],
        kind: "flag",
        name: flag,
        description: "* Turned the flag on\n",
        shortDescription: "",
        comment: "Pier test event",
        titleVerb: "updated the flag",
        title: `Pier updated the flag [${flag}](https://app.launchdarkly.com${site.href}) in \`Test\``,
        target: { _links: { site }, name: flag, resources: [resource] },
      });
    }
    case "flagsmith": {
      const state = (enabled: boolean) => ({
        enabled,
        environment: { id: 0, name: "Development" },
        feature: { id: 0, name: flag, project: { id: 0, name: flag }, type: "STANDARD", default_enabled: false, initial_value: null },
        feature_segment: null,
        feature_state_value: null,
        identity: null,
        identity_identifier: null,
      });
      return JSON.stringify({
        data: { changed_by: "Pier test event", new_state: state(true), previous_state: state(false), timestamp: now.toISOString() },
        event_type: "FLAG_UPDATED",
      });
    }
  }
}

function request(source: TestSource, secret: string): { body: string; headers: Record<string, string>; query?: string } {
  const now = new Date().toISOString();
  switch (source) {
    case "unleash":
      // The addon's Authorization parameter, sent verbatim.
      return { body: flagChangeBody(source), headers: { authorization: `Bearer ${secret}` } };
    case "launchdarkly": {
      const body = flagChangeBody(source);
      return { body, headers: { "x-ld-signature": hexHmacSha256(secret, body) } };
    }
    case "flagsmith": {
      const body = flagChangeBody(source);
      return { body, headers: { "x-flagsmith-signature": hexHmacSha256(secret, body) } };
    }
    case "jira": {
      const body = JSON.stringify({ webhookEvent: "pier:test_delivery", timestamp: Date.now(), id: randomUUID() });
      return { body, headers: { "x-hub-signature": `sha256=${hexHmacSha256(secret, body)}` } };
    }
    case "jenkins":
      return {
        body: JSON.stringify({
          name: JENKINS_TEST_JOB,
          url: `job/${JENKINS_TEST_JOB}/`,
          build: { full_url: "", number: Date.now(), phase: "QUEUED", url: `job/${JENKINS_TEST_JOB}/${Date.now()}/` },
        }),
        headers: {},
        query: `?token=${encodeURIComponent(secret)}`,
      };
    case "gitlab":
      return {
        body: JSON.stringify({
          object_kind: "push",
          ref: "refs/heads/pier-test-delivery",
          checkout_sha: "0000000000000000000000000000000000000000",
          project: { name: "test-delivery", path_with_namespace: "pier/test-delivery", default_branch: "main" },
          commits: [],
          total_commits_count: 0,
        }),
        headers: { "x-gitlab-event": "Push Hook", "x-gitlab-token": secret, "idempotency-key": randomUUID() },
      };
    case "argocd":
      return {
        body: JSON.stringify({ event: "test", app: "pier-test-delivery", at: now, sentAt: randomUUID() }),
        headers: { authorization: `Bearer ${secret}` },
      };
    case "terraform": {
      const body = JSON.stringify({
        payload_version: 1,
        notification_configuration_id: "nc-pier-test-delivery",
        run_url: null,
        run_id: null,
        run_message: null,
        run_created_at: null,
        run_created_by: null,
        workspace_id: null,
        workspace_name: null,
        organization_name: null,
        notifications: [
          { message: "Verification of Pier test delivery", trigger: "verification", run_status: null, run_updated_at: null, run_updated_by: null },
        ],
      });
      return { body, headers: { "x-tfe-notification-signature": createHmac("sha512", secret).update(body).digest("hex") } };
    }
  }
}

const HANDLER: Record<TestSource, (req: Request, db: Db) => Promise<Response>> = {
  gitlab: handleGitlabPost,
  argocd: handleArgocdPost,
  terraform: handleTerraformPost,
  jenkins: handleJenkinsPost,
  jira: handleJiraPost,
  unleash: handleUnleashPost,
  launchdarkly: handleLaunchdarklyPost,
  flagsmith: handleFlagsmithPost,
};

/** Sends one test delivery; the answer is what the tool itself would have received. */
export async function sendTestDelivery(db: Db, source: TestSource): Promise<{ status: number; body: unknown }> {
  const [secret] = await webhookSecrets(db, KIND[source]);
  if (!secret) throw badRequest(`Add a ${LABEL[source]} secret first: the test event is sent with it`, "source");
  const { body, headers, query = "" } = request(source, secret);
  const url = `${env().PIER_BASE_URL.replace(/\/$/, "")}/api/webhooks/${source}${query}`;
  const res = await HANDLER[source](new Request(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }), db);
  return { status: res.status, body: await res.json() };
}
