import { expect, test, type Browser, type Page } from "@playwright/test";
import { signInAs, type DemoUser } from "./helpers";

// Seeded demo fleet (prisma/seed/fleet.ts): prod runs on prod-eu-1, prod-us-1 and prod-ap-1, rolled out in waves
// (the EU canary, half the fleet, the rest) with the error rate verified after each wave (fails at 10 %). In prod,
// staging's payment-gateway version has a fake error rate of 12 % and simulator runs that never fail at random, so
// its canary fails verification every time; prod needs two approvers, never the requester (prisma/seed/deployments.ts).
// Needs the worker process running. A fresh summary per run tells this run's request apart from earlier ones.
const summary = `Tokenisation across all regions, run ${Date.now() % 100000}`;

async function approveFromInbox(browser: Browser, who: DemoUser, toast: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, who, "/approvals");
  const card = page.getByRole("region", { name: "Waiting for you" }).getByTestId("inbox-item").filter({ hasText: summary });
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByTestId("toast")).toContainText(toast);
  await context.close();
}

/** The request's rollout card: one list item per wave, each target's step in it. */
const wave = (page: Page, n: number) => page.getByRole("listitem", { name: `Wave ${n}` });
const step = (page: Page, n: number, target: string) => wave(page, n).getByRole("listitem").filter({ hasText: target });

test("Dana requests prod across three regions, the canary fails verification and rolls back, DORA shows the failure", async ({ page, browser }) => {
  // Generous: on a loaded machine a page takes seconds; the rollout itself takes about 15 s.
  test.setTimeout(420_000);
  await signInAs(page, "Dana", "/deployments/new");
  await page.getByLabel("Service").selectOption({ label: "Payment gateway" });

  // The version staging runs now, promoted to prod.
  await page.getByLabel("Environment").selectOption({ label: "staging" });
  const staging = await page.getByText(/^Live now: /).textContent();
  const version = /^Live now: (\S+)/.exec(staging ?? "")?.[1];
  expect(version, "staging runs a version of payment-gateway").toBeTruthy();
  await page.getByLabel("Environment").selectOption({ label: "prod" });
  await page.getByLabel("Version").fill(version!);
  await expect(page.getByTestId("promotion-check")).toContainText(`${version} succeeded in staging`);
  await expect(page.getByTestId("request-preview")).toContainText("2 approvals needed");
  await page.getByLabel("Change summary").fill(summary);
  await page.getByRole("button", { name: "Request deployment" }).click();
  // The request's own page (not the form's /deployments/new, which the same pattern would match).
  await expect(page).toHaveURL(/\/deployments\/(?!new$)[a-z0-9]+$/);
  const requestPath = new URL(page.url()).pathname;
  await expect(page.getByTestId("deployment-status")).toHaveText("pending approval");
  await expect(page.getByTestId("approval-progress")).toHaveText("0 of 2 approvals");
  // Four eyes: the requester cannot approve her own request.
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // Alex, then Priya, approve from their inboxes; the second approval queues it.
  await approveFromInbox(browser, "Alex", `Approved Payment gateway ${version} to prod — 1 more approval needed`);
  await approveFromInbox(browser, "Priya", `Approved Payment gateway ${version} to prod — deployment queued`);

  // Dana watches her request (no reload): it rolls out wave by wave, to all three regions.
  await expect(page.getByRole("heading", { name: /^Rollout · wave \d of 3$/ })).toBeVisible({ timeout: 30_000 });
  await expect(wave(page, 1)).toContainText("EU canary");
  for (const [n, target] of [
    [1, "prod-eu-1"],
    [2, "prod-ap-1"],
    [3, "prod-us-1"],
  ] as const)
    await expect(step(page, n, target)).toBeVisible();

  // The EU canary deploys, fails its verification (error rate 12 % ≥ 10 %) and is rolled back; the request ends rolled back.
  await expect(page.getByTestId("deployment-status")).toHaveText("rolled back", { timeout: 60_000 });
  await expect(page.getByTestId("rollout-status")).toContainText("rolled back");
  await expect(page.getByTestId("rollout-status")).toContainText("Analysis failed after wave 1");
  await expect(step(page, 1, "prod-eu-1")).toContainText("rolled back");
  const verification = wave(page, 1).getByTestId("rollout-analysis");
  await expect(verification).toContainText("Verification failed");
  await expect(verification).toContainText("error-rate: failed (0.12)");
  // The later waves never started.
  for (const [n, target] of [
    [2, "prod-ap-1"],
    [3, "prod-us-1"],
  ] as const) {
    await expect(step(page, n, target)).toContainText("cancelled");
    await expect(step(page, n, target)).toHaveAttribute("title", "cancelled: an earlier target failed");
    await expect(wave(page, n).getByTestId("rollout-analysis")).toHaveCount(0);
  }
  await expect(page.getByRole("button", { name: /^(Pause|Resume|Abort) rollout$/ })).toHaveCount(0);

  // DORA, narrowed to payment-gateway in region eu: the change-failure drill-down lists this request, rolled back.
  await page.goto("/dora");
  await page.getByLabel("Service").selectOption({ label: "Payment gateway" });
  await page.getByLabel("Target or region").selectOption({ label: "Region eu" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/target=region%3Aeu/);
  await page.getByTestId("dora-changeFailureRate").click();
  const drill = page.locator("#drilldown");
  await expect(drill.getByRole("heading", { name: /Deployments counted as change failures/ })).toBeVisible();
  const mine = drill.getByTestId("drill-deployment").filter({ has: page.locator(`a[href="${requestPath}"]`) });
  // The outbox subscriber records the deployment moments after the request ends: look again until it is there.
  await expect(async () => {
    await page.reload();
    await expect(mine).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(mine).toContainText(version!);
  await expect(mine).toContainText("rolled back");
  await expect(page.getByTestId("dora-changeFailureRate")).toContainText(/[1-9]\d* of \d+ deployments/);

  // The drill-down leads back to the request.
  await mine.getByRole("link", { name: "Pier" }).click();
  await expect(page).toHaveURL(new RegExp(`${requestPath}$`));
  await expect(page.getByTestId("deployment-status")).toHaveText("rolled back");

  // In a region whose wave never started, this rollout counts for nothing.
  await page.goBack();
  await page.getByLabel("Target or region").selectOption({ label: "prod-us-1" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/target=target%3Aprod-us-1/);
  await page.getByTestId("dora-changeFailureRate").click();
  await expect(drill.getByRole("heading", { name: /Deployments counted as change failures/ })).toBeVisible();
  await expect(drill.locator(`a[href="${requestPath}"]`)).toHaveCount(0);
});
