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
