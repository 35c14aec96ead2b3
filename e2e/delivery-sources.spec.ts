import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { SHARED_FIXTURES } from "../test/support/shared-fixtures";
import { signInAs } from "./helpers";

// Issue #16 "Every delivery tool feeds Pier": Sam (admin) connects GitLab on Admin → Integrations — the URL to paste,
// a secret for the hook's Secret token, the GitLab project mapped to a service of Dana's team (Growth's Onboarding
// e-mails) — a test event and then GitLab's real Deployment Hook arrive, the GitLab card counts them, and Dana sees
// the deployment on her service's page. Needs the worker process (it translates the stored hook).
//
// The hook is the shared fixture gitlab/deployment.json (go-playground/webhooks' capture of a real GitLab delivery),
// byte for byte except status_changed_at, re-dated to now in GitLab's own format: the capture is from 2021, and the
// journey is a deployment that happens today (a 2021 deployment is rightly not the live version of anything).
const FIXTURE = path.join(SHARED_FIXTURES, "gitlab", "deployment.json");
const PROJECT = "root/test-deployment-webhooks";
const SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468";
const SERVICE = { slug: "onboarding-emails", name: "Onboarding e-mails" };

/** Now as GitLab writes times in hooks: "2021-04-28 21:50:00 +0200". */
const gitlabNow = () => `${new Date().toISOString().slice(0, 19).replace("T", " ")} +0000`;

function gitlabCard(page: Page) {
  return page.getByRole("region", { name: "GitLab", exact: true });
}

/** The value next to a label in a source card's figures ("Accepted (7 days)" → "3"). */
function figure(card: Locator, label: string) {
  return card.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd[1]");
}

test("Sam connects a GitLab source, a deployment hook arrives, Dana sees the deployment on her service page", async ({ page, browser, request }) => {
  test.setTimeout(300_000);
  // Unique per run, so the suite can run twice against one database.
  const secret = `glhook-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

  await signInAs(page, "Sam", "/admin/integrations");
  await expect(page.getByRole("heading", { name: "Integrations", level: 1 })).toBeVisible();
  const card = gitlabCard(page);
  // What to paste into GitLab: the URL, how the sender proves itself, which triggers.
  await expect(card.getByText("POST ", { exact: false }).first()).toContainText("/api/webhooks/gitlab");
  await expect(card).toContainText("X-Gitlab-Token");
  await expect(card).toContainText("Deployment events");
  const acceptedBefore = Number(await figure(card, "Accepted (7 days)").innerText());

  // The hook's Secret token, kept by Pier as a GitLab signing secret (shown masked from then on).
  const secretForm = page.locator("form").filter({ has: page.getByLabel("Signing secret") });
  await secretForm.getByLabel("Kind").selectOption({ label: "GitLab" });
  await secretForm.getByLabel("Name").fill("acme group hook");
  await secretForm.getByLabel("Signing secret").fill(secret);
  await secretForm.getByRole("button", { name: "Add secret" }).click();
  const secretsTable = page.getByRole("table", { name: "Webhook secrets" });
  await expect(secretsTable.getByRole("row").filter({ hasText: "acme group hook" })).toContainText("GitLab");
  await expect(secretsTable).not.toContainText(secret);
  await expect(card.getByText(/^\d+ secrets?$/)).toBeVisible();

  // GitLab's project path is not a catalog name: map it to Dana's team's service.
  const mapForm = page.locator("form").filter({ has: page.getByRole("button", { name: "Map project" }) });
  await mapForm.getByLabel("Tool", { exact: true }).selectOption({ label: "GitLab" });
  await mapForm.getByLabel("Project in the tool").fill(PROJECT);
  await mapForm.getByLabel("Service (slug)").fill(SERVICE.slug);
  await mapForm.getByRole("button", { name: "Map project" }).click();
  const mapping = page.getByRole("table", { name: "Project to service mappings" }).getByRole("row").filter({ hasText: PROJECT });
  await expect(mapping).toContainText("GitLab");
  await expect(mapping.getByRole("link", { name: SERVICE.name })).toBeVisible();

  // "Send a test event": Pier posts a GitLab-shaped delivery to itself with the new secret.
  await card.getByRole("button", { name: "Send a test event to the GitLab endpoint" }).click();
  await expect(card.getByRole("status")).toContainText("Pier answered 202");

  // GitLab delivers the Deployment Hook with the secret Sam configured.
  const hook = readFileSync(FIXTURE, "utf8").replace(/"status_changed_at":\s*"[^"]*"/, `"status_changed_at":"${gitlabNow()}"`);
  expect(hook).toContain(PROJECT);
  const headers = { "content-type": "application/json", "x-gitlab-event": "Deployment Hook", "idempotency-key": `e2e-${secret}` };
  const wrong = await request.post("/api/webhooks/gitlab", { data: hook, headers: { ...headers, "x-gitlab-token": "not-the-secret" } });
  expect(wrong.status()).toBe(401);
  const delivered = await request.post("/api/webhooks/gitlab", { data: hook, headers: { ...headers, "x-gitlab-token": secret } });
  expect(delivered.status()).toBe(202);
  // GitLab retries with the same Idempotency-Key: answered 200, stored once.
  const retried = await request.post("/api/webhooks/gitlab", { data: hook, headers: { ...headers, "x-gitlab-token": secret } });
  expect(retried.status()).toBe(200);

  // The card: the last event just now, the test event and the hook accepted, the retry counted as a duplicate.
  await page.reload();
  await expect(figure(gitlabCard(page), "Accepted (7 days)")).toHaveText(String(acceptedBefore + 2));
  await expect(figure(gitlabCard(page), "Last event")).not.toHaveText("nothing yet");
  await expect(figure(gitlabCard(page), "Duplicates (7 days)")).not.toHaveText("0");

  // Dana opens her service: the deployment GitLab reported is live in staging, reported by GitLab.
  const danaContext = await browser.newContext();
  const dana = await danaContext.newPage();
  await signInAs(dana, "Dana", `/services/${SERVICE.slug}?tab=dora`);
  const live = dana.getByRole("table", { name: "Live versions" }).getByRole("row").filter({ hasText: "staging" });
  // The ingest worker translates the stored hook: reload until it has.
  await expect(async () => {
    await dana.reload();
    await expect(live).toContainText(SHA, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(live).toContainText("gitlab");
  // The incident timeline lists it too, and the deployments tab's tracker has it as the newest succeeded one.
  await expect(dana.getByRole("list", { name: "Incident timeline" }).getByRole("listitem").filter({ hasText: SHA })).toContainText("to staging");
  await dana.getByRole("navigation", { name: "Service sections" }).getByRole("link", { name: "Deployments" }).click();
  await expect(dana.getByTestId("deployment-tracker").getByRole("listitem").last()).toContainText(`staging ${SHA} · succeeded`);
  await danaContext.close();
});
