import { expect, test } from "@playwright/test";
import { signInAs } from "./helpers";

// Seeded Backstage entities (prisma/seed/backstage-entities.ts): the Payments API, provided by payment-links, part of
// the payments-platform System.

test("Lee browses the Backstage entities: an API's definition, provider and graph, then its System's members", async ({ page }) => {
  await signInAs(page, "Lee", "/catalog");
  await page.getByRole("link", { name: "Backstage entities" }).click();
  // The kind filters carry their counts ("API (3)"), the facet Backstage users expect.
  await page.getByRole("link", { name: /^API \(\d[\d,]*\)$/ }).click();
  await expect(page).toHaveURL(/\/catalog\/entities\?kind=API$/);
  await page.getByRole("table", { name: "Imported entities" }).getByRole("link", { name: "Payments API" }).click();

  await expect(page.getByRole("heading", { name: "Payments API", level: 1 })).toBeVisible();
  await expect(page.getByTestId("api-definition")).toContainText("openapi: 3.0.3");
  await expect(page.getByRole("table", { name: "Providers" }).getByRole("link", { name: /payment-links/ })).toBeVisible();
  await expect(page.getByTestId("relations-graph").locator(".react-flow__node")).toHaveCount(4);

  await page
    .getByRole("table", { name: "Relations this entity declares" })
    .getByRole("link", { name: /payments-platform/ })
    .click();
  await expect(page.getByRole("heading", { name: "Payments platform", level: 1 })).toBeVisible();
  const members = page.getByRole("table", { name: "Members" });
  for (const name of ["payment-links", "payments-api", "payments-db"]) await expect(members.getByRole("link", { name: new RegExp(name) })).toBeVisible();
  await page.screenshot({ path: "test-results/screenshots/catalog-system-entity.png", fullPage: true });
});
