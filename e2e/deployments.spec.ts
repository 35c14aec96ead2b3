import { expect, test, type Page } from "@playwright/test";
import { signInAs } from "./helpers";

// Seeded demo data: Checkout API (payments, Dana's team) runs the simulator with 3 s runs and no random failures
// (prisma/seed/deployments.ts); policies dev 0 / staging 1 / prod 2 approvers. Needs the worker process running.
// A fresh version per run keeps the promotion rule meaningful when the suite runs twice against one database.
const version = `3.${Date.now() % 100000}.0`;

async function requestDeployment(page: Page, env: string) {
  await page.getByLabel("Service").selectOption({ label: "Checkout API" });
  await page.getByLabel("Environment").selectOption({ label: env });
  await page.getByLabel("Version").fill(version);
  await page.getByLabel("Change summary").fill(`Checkout ${version}: faster card form`);
}

async function expectStatus(page: Page, status: string, timeout = 30_000) {
  await expect(page.getByTestId("deployment-status").first()).toHaveText(status, { timeout });
}

test("Dana promotes a version from dev to prod under the approval policies", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAs(page, "Dana", "/deployments/new");
  await expect(page.getByRole("heading", { name: "Request a deployment" })).toBeVisible();

  // Straight to prod: the form explains why not, and the server refuses it next to the version field.
  await requestDeployment(page, "prod");
  await expect(page.getByTestId("promotion-check")).toContainText(`${version} has not succeeded in staging yet`);
  await page.getByRole("button", { name: "Request deployment" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "has not succeeded in staging yet" })).toBeVisible();

  // Staging is refused too until the version ran in dev; dev needs no approval and deploys at once.
  await page.getByLabel("Environment").selectOption({ label: "staging" });
  await expect(page.getByTestId("promotion-check")).toContainText("has not succeeded in dev yet");
  await page.getByLabel("Environment").selectOption({ label: "dev" });
  await expect(page.getByTestId("promotion-check")).toContainText("first stage");
  await page.getByRole("button", { name: "Request deployment" }).click();
  await expect(page).toHaveURL(/\/deployments\/[a-z0-9]+$/);
  await expectStatus(page, "succeeded");

  // Promote to staging: one approver.
  await page.getByRole("link", { name: "Promote to staging" }).click();
  await expect(page.getByTestId("promotion-check")).toContainText(`${version} succeeded in dev`);
  // Before submitting, the learned model's P(failure) for what is entered (trained on the seeded history).
  await expect(page.getByTestId("failure-preview").getByTestId("failure-probability")).toContainText(/P\(failure\) ≈ (< 1|\d+) %/);
  await page.getByLabel("Change summary").fill(`Checkout ${version} to staging`);
  await page.getByRole("button", { name: "Request deployment" }).click();
  await expect(page).toHaveURL(/\/deployments\/[a-z0-9]+$/);
  const stagingUrl = page.url();
  await expectStatus(page, "pending approval");
  await expect(page.getByTestId("approval-progress")).toHaveText("0 of 1 approvals");
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // Alex approves from his inbox.
  const alexContext = await browser.newContext();
  const alex = await alexContext.newPage();
  await signInAs(alex, "Alex", "/approvals");
  const card = alex.getByRole("region", { name: "Waiting for you" }).getByTestId("inbox-item").filter({ hasText: version });
  await expect(card).toContainText("0 of 1 approvals");
  // Beside the hand-set score, the model learned from the seeded history: a probability and its main reasons.
  await expect(card.getByTestId("failure-probability")).toContainText(/P\(failure\) ≈ (< 1|\d+) %/);
  await expect(card.getByRole("list", { name: "Why this probability" }).getByRole("listitem").first()).toContainText(/(raises|lowers) risk/);
  await card.getByRole("button", { name: "Approve" }).click();
  // The card leaves the inbox, and a toast says what happened to it.
  await expect(alex.getByTestId("toast")).toContainText(`Approved Checkout API ${version} to staging — deployment queued`);
  await expect(alex.getByRole("region", { name: "Waiting for you" })).not.toContainText(version);

  // The simulator runs it; Dana watches status and timeline.
  await page.goto(stagingUrl);
  await expectStatus(page, "succeeded");
  const timeline = page.getByTestId("timeline");
  for (const step of ["Requested", "Approved", "Queued", "Started", "Succeeded"]) await expect(timeline).toContainText(step);
  await expect(timeline).toContainText("Alex");

  // Promote to prod: two approvals needed.
  await page.getByRole("link", { name: "Promote to prod" }).click();
  await expect(page.getByTestId("promotion-check")).toContainText(`${version} succeeded in staging`);
  await page.getByLabel("Change summary").fill(`Checkout ${version} to prod`);
  await page.getByRole("button", { name: "Request deployment" }).click();
  await expect(page).toHaveURL(/\/deployments\/[a-z0-9]+$/);
  const prodUrl = page.url();
  await expectStatus(page, "pending approval");
  await expect(page.getByTestId("approval-progress")).toHaveText("0 of 2 approvals");

  await alex.goto(prodUrl);
  await alex.getByRole("button", { name: "Approve" }).click();
  await expect(alex.getByTestId("toast")).toContainText(`Approved Checkout API ${version} to prod — 1 more approval needed`);
  await expect(alex.getByTestId("approval-progress")).toHaveText("1 of 2 approvals");
  await alexContext.close();

  await page.reload();
  await expectStatus(page, "pending approval");
  await expect(page.getByTestId("approval-progress")).toHaveText("1 of 2 approvals");
  await expect(page.getByTestId("timeline")).toContainText("Approved (1 of 2)");

  // History lists all three.
  await page.goto("/deployments");
  await expect(page.getByRole("table", { name: "Deployment history" })).toContainText(version);
});
