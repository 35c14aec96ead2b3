// Admin → Integrations "Send a test event": a delivery shaped like the tool's own, authenticated with the first
// configured secret of its kind, through the real endpoint handler — so it proves the secret and the endpoint, and
// shows up as the source's last event. Test events change no DORA data: GitLab's is a push to a branch that is not the
// default one (stored, ignored), Argo CD's has event "test" (stored, ignored), Terraform's is HCP Terraform's own
// verification message (answered 200, not stored), Jenkins' is a QUEUED phase of the job "pier-test-delivery" (stored,
// ignored), Jira's a "pier:test_delivery" event (stored, ignored).
import { createHmac, randomUUID } from "node:crypto";
import type { Db } from "../db";
import { badRequest } from "../errors";
import { env } from "../env";
import { handleArgocdPost, handleGitlabPost, handleJenkinsPost, handleJiraPost, handleTerraformPost } from "./delivery-webhooks-http";
import { JENKINS_TEST_JOB } from "./jenkins-webhooks";
import { webhookSecrets, type WebhookKind } from "./webhook-secrets";

export const TEST_DELIVERY_SOURCES = ["gitlab", "argocd", "terraform", "jenkins", "jira"] as const;
type TestSource = (typeof TEST_DELIVERY_SOURCES)[number];

const KIND: Record<TestSource, WebhookKind> = {
  gitlab: "gitlab_webhook",
  argocd: "argocd_webhook",
  terraform: "terraform_webhook",
  jenkins: "jenkins_webhook",
  jira: "jira_webhook",
};
const LABEL: Record<TestSource, string> = { gitlab: "GitLab", argocd: "Argo CD", terraform: "Terraform", jenkins: "Jenkins", jira: "Jira" };

function request(source: TestSource, secret: string): { body: string; headers: Record<string, string>; query?: string } {
  const now = new Date().toISOString();
  switch (source) {
    case "jira": {
      const body = JSON.stringify({ webhookEvent: "pier:test_delivery", timestamp: Date.now(), id: randomUUID() });
      return { body, headers: { "x-hub-signature": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` } };
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

const HANDLER = { gitlab: handleGitlabPost, argocd: handleArgocdPost, terraform: handleTerraformPost, jenkins: handleJenkinsPost, jira: handleJiraPost };

/** Sends one test delivery; the answer is what the tool itself would have received. */
export async function sendTestDelivery(db: Db, source: TestSource): Promise<{ status: number; body: unknown }> {
  const [secret] = await webhookSecrets(db, KIND[source]);
  if (!secret) throw badRequest(`Add a ${LABEL[source]} secret first: the test event is sent with it`, "source");
  const { body, headers, query = "" } = request(source, secret);
  const url = `${env().PIER_BASE_URL.replace(/\/$/, "")}/api/webhooks/${source}${query}`;
  const res = await HANDLER[source](new Request(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }), db);
  return { status: res.status, body: await res.json() };
}
