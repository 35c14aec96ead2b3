// Catalog discovery from the locations page: Sam (admin) sees the seeded example location with its status and
// entity count, is told next to the field why a repository URL is not a file URL, and an entity page says which
// location keeps it up to date.
import { expect, test } from "@playwright/test";
import { signInAs } from "./helpers";

test("Sam sees the demo location, a refused URL explained at its field, and where an entity comes from", async ({ page }) => {
  await signInAs(page, "Sam", "/catalog/locations");
  await expect(page.getByRole("heading", { name: "Catalog locations", level: 1 })).toBeVisible();
  const demo = page.getByRole("row").filter({ hasText: "pier-demo/shop" });
  await expect(demo).toContainText("example");
  await expect(demo).toContainText("ok");

  await page.getByLabel("URL", { exact: true }).fill("https://github.com/acme/payments");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByText(/Not a file URL Pier can read/)).toBeVisible();
  await expect(page.getByLabel("URL", { exact: true })).toHaveAttribute("aria-invalid", "true");

  await page.goto("/catalog/entity/Component/default/payment-links");
  await expect(page.getByText("Kept up to date from")).toBeVisible();
  await expect(page.getByRole("link", { name: /pier-demo\/shop/ })).toHaveAttribute("href", /\/catalog\/locations#/);
});
