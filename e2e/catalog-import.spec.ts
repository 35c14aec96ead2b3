// A catalog too large for the inline import, from the import page: it goes to the background by itself, the page
// polls its progress and shows the summary, and the job's URL shows it again after a reload (here in dark mode).
// The file is Backstage's example catalog copied with new names (test/support/backstage-fixtures.ts).
import { expect, test } from "@playwright/test";
import { exampleCatalogCopies } from "../test/support/backstage-fixtures";
import { signInAs } from "./helpers";

test("Sam imports a 505-document catalog in the background and watches it finish", async ({ page }) => {
  test.setTimeout(180_000);
  const prefix = `e2e${Date.now().toString(36)}`;
  // 101 copies × 5 documents: over the inline import's 500.
  const yaml = exampleCatalogCopies(101, prefix);
  await signInAs(page, "Sam", "/catalog/import");
  await page.getByLabel("Upload a file").setInputFiles({ name: "catalog-info.yaml", mimeType: "text/yaml", buffer: Buffer.from(yaml) });
  await expect(page.getByText(/A file of [\d.]+ MB with 505 documents is loaded/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Preview (dry run)" })).toBeDisabled();
  await expect(page.getByRole("checkbox", { name: /Run in the background/ })).toBeChecked();

  await page.getByRole("button", { name: "Import in the background" }).click();
  await expect(page).toHaveURL(/\/catalog\/import\?job=[A-Za-z0-9]+$/);
  const bar = page.getByRole("progressbar", { name: "Import progress" });
  await expect(bar).toBeVisible();
  const summary = page.getByRole("status").filter({ hasText: /created/ });
  await expect(summary).toContainText("Imported: 505 created, 0 updated, 0 unchanged, 0 skipped", { timeout: 120_000 });
  await expect(bar).toHaveAttribute("aria-valuenow", "100");

  await page.context().addCookies([{ name: "pier-theme", value: "dark", url: test.info().project.use.baseURL! }]);
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expect(page.getByRole("status").filter({ hasText: /created/ })).toContainText("Imported: 505 created");
  await page.screenshot({ path: "test-results/screenshots/catalog-import-finished-dark.png", fullPage: true });

  await page.goto(`/services/${prefix}-100-example-website`);
  await expect(page.getByRole("heading", { name: `${prefix}-100-example-website`, level: 1 })).toBeVisible();
});
