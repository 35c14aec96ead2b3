// Delivery analytics and alert rules, as people use them on the seeded demo: the analytics page shows figures,
// charts and drill-down links; an admin sees the seeded firing rule, creates one, and deletes it after confirming.
import { expect, test } from "@playwright/test";
import { signInAs } from "./helpers";

test("delivery analytics: totals, groups with drill-down, capacity view", async ({ page }) => {
  await signInAs(page, "Dana", "/dora/analytics?days=90&group=team");
  await expect(page.getByRole("heading", { name: "Delivery analytics" })).toBeVisible();
  await expect(page.getByTestId("analytics-totals")).toContainText("Success rate");
  await expect(page.getByRole("region", { name: "Delivery by team" })).toContainText("Data");
  await expect(page.getByTestId("analytics-groups-chart")).toBeVisible();
  await expect(page.getByText("Capacity: runs by hour of day and day of week")).toBeVisible();
  await page.getByRole("region", { name: "Delivery by team" }).getByRole("link", { name: "Payments" }).click();
  await expect(page).toHaveURL(/group=service/);
  await expect(page.getByRole("region", { name: "Delivery by service" })).toBeVisible();
});

test("alert rules: the seeded rule fires; an admin creates and deletes a rule", async ({ page }) => {
  await signInAs(page, "Sam", "/admin/alerts");
  const seeded = page.getByTestId("alert-rule-Data: rollback rate above 5 % (30 days)");
  await expect(seeded).toContainText("firing");
  await page.getByLabel("Name").first().fill("E2E rule");
  await page.getByLabel("Threshold").first().fill("0.5");
  await page.getByRole("button", { name: "Create rule" }).click();
  const created = page.getByTestId("alert-rule-E2E rule");
  await expect(created).toBeVisible();
  await created.getByRole("button", { name: "Delete E2E rule" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete rule" }).click();
  await expect(created).toHaveCount(0);
});
