import { expect, test } from "@playwright/test";
import { signInAs } from "./helpers";

// Relies on the demo seed (prisma/seed/dora.ts): 90 days of history for the catalog's services.
test("Dana opens DORA, filters by team, clicks a number and sees the deployments behind it", async ({ page }) => {
  await signInAs(page, "Dana", "/dora");
  await expect(page.getByRole("heading", { name: "DORA metrics" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "How is this computed?" })).toBeVisible();

  await page.getByLabel("Team").selectOption({ label: "Payments" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/team=/);

  const frequency = page.getByTestId("dora-deploymentFrequency");
  await expect(frequency).toContainText("/ week");
  const count = Number((await frequency.textContent())?.match(/(\d+) deployments/)?.[1] ?? "0");
  expect(count).toBeGreaterThan(0);
  await frequency.click();

  const drill = page.locator("#drilldown");
  await expect(drill.getByRole("heading", { name: /Deployments counted by deployment frequency/ })).toContainText(`(${count})`);
  const rows = drill.getByTestId("drill-deployment");
  await expect(rows.first()).toBeVisible();
  // Only the filtered team's services: every row is a payments service from the seed catalog (payment-links comes from
  // the seeded Backstage entities, a Component owned by group:payments).
  const services = await rows.locator("td:first-child").allTextContents();
  const payments = ["checkout-api", "payment-gateway", "ledger", "invoicing", "fraud-scoring", "refunds-worker", "legacy-billing", "payment-links"];
  for (const s of services) expect(payments).toContain(s);

  // The change-failure number drills into failures only.
  await page.getByTestId("dora-changeFailureRate").click();
  await expect(drill.getByRole("heading", { name: /change failures/ })).toBeVisible();
});

test("a drill-down shows its rows 50 to a page, Older and Newer", async ({ page }) => {
  await signInAs(page, "Dana", "/dora?drill=deployments");
  const drill = page.locator("#drilldown");
  const heading = drill.getByRole("heading", { name: /Deployments counted by deployment frequency/ });
  const total = Number((await heading.textContent())?.match(/\((\d+)\)/)?.[1] ?? "0");
  expect(total, "the seed's 90 days hold more than two pages of deployments").toBeGreaterThan(100);
  const rows = drill.getByTestId("drill-deployment");
  await expect(rows).toHaveCount(50);
  const pages = drill.getByRole("navigation", { name: "Drill-down pages" });
  await expect(pages).toContainText(`Rows 1–50 of ${total}`);
  const newest = await rows.first().textContent();

  await pages.getByRole("link", { name: "Older" }).click();
  await expect(page).toHaveURL(/[?&]page=2(&|#|$)/);
  await expect(pages).toContainText(`Rows 51–100 of ${total}`);
  await expect(rows).toHaveCount(50);
  await expect(heading).toContainText(`(${total})`);

  await pages.getByRole("link", { name: "Newer" }).click();
  await expect(pages).toContainText(`Rows 1–50 of ${total}`);
  await expect(rows.first()).toHaveText(newest!);
});
