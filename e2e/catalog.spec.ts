import { expect, test } from "@playwright/test";
import { signInAs } from "./helpers";

// Seeded demo data (prisma/seed/catalog.ts): "ledger" belongs to Payments; Dana is in Payments, Lee in Data.

test("Dana searches the catalog, opens a payments service and edits its description", async ({ page }) => {
  // A long journey (search, filters, tabs, stars, an edit): on the shared CI machine it outlasts the default minute.
  test.setTimeout(180_000);
  await signInAs(page, "Dana", "/catalog");
  await expect(page.getByRole("heading", { name: "Service catalog" })).toBeVisible();

  // Search and filter as you type and pick (no Search button); the state lives in the URL so the view can be shared.
  await expect(page.getByRole("button", { name: "Search" })).toBeHidden();
  await page.getByRole("searchbox", { name: "Search services" }).fill("bookkeeping");
  await expect(page).toHaveURL(/q=bookkeeping/);
  await page.getByLabel("Team").selectOption({ label: "Payments" });
  await expect(page).toHaveURL(/q=bookkeeping/);
  await expect(page).toHaveURL(/team=payments/);
  const results = page.getByRole("table", { name: "Services" });
  await expect(results.getByRole("link", { name: "Ledger" })).toBeVisible();
  await expect(results.getByRole("link", { name: "Checkout API" })).toHaveCount(0);

  // The shared URL reproduces the same view.
  const shared = page.url();
  await page.goto(shared);
  await expect(page.getByRole("searchbox", { name: "Search services" })).toHaveValue("bookkeeping");

  await results.getByRole("link", { name: "Ledger" }).click();
  await expect(page).toHaveURL(/\/services\/ledger$/);
  await expect(page.getByRole("heading", { name: "Ledger", level: 1 })).toBeVisible();
  await expect(page.locator("section#impact")).toContainText("Checkout API");
  // The other sections are tabs, each with its own URL.
  const tabs = page.getByRole("navigation", { name: "Service sections" });
  for (const [tab, id] of [
    ["Deployments", "deployments"],
    ["DORA", "dora"],
    ["Incidents", "incidents"],
  ] as const) {
    await tabs.getByRole("link", { name: tab }).click();
    await expect(page.locator(`section#${id}`)).toBeVisible();
    await expect(tabs.getByRole("link", { name: tab })).toHaveAttribute("aria-current", "page");
  }
  await tabs.getByRole("link", { name: "Overview" }).click();

  // Starred: the star on the page, then the catalog's "Starred" view lists it (and only Dana's stars).
  const star = page.getByRole("button", { name: /Star/ });
  if ((await star.getAttribute("aria-pressed")) === "true") await star.click();
  await expect(star).toHaveAttribute("aria-pressed", "false");
  await star.click();
  await expect(star).toHaveAttribute("aria-pressed", "true");
  await page.goto("/catalog");
  await page.getByRole("navigation", { name: "Whose services" }).getByRole("link", { name: "Starred" }).click();
  await expect(page).toHaveURL(/scope=starred/);
  await expect(page.getByRole("table", { name: "Services" }).getByRole("link", { name: "Ledger" })).toBeVisible();
  await page.getByRole("navigation", { name: "Whose services" }).getByRole("link", { name: "Owned by my teams" }).click();
  await expect(page.getByRole("table", { name: "Services" }).getByRole("link", { name: "Checkout API" })).toBeVisible();
  await page.goto("/services/ledger");

  const description = `Double-entry bookkeeping, edited by Dana at ${Date.now()}`;
  await page.getByRole("button", { name: "Edit service" }).click();
  await page.getByLabel("Description").fill(description);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("service-description")).toHaveText(description);
  await page.reload();
  await expect(page.getByTestId("service-description")).toHaveText(description);

  // A bad URL is reported next to its field, not as a broken page.
  await page.getByRole("button", { name: "Edit service" }).click();
  await page.getByLabel("Runbook URL").fill("not a url");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Must be an http(s) URL" })).toBeVisible();
});

test("Lee (data team) cannot edit a payments service, in the UI or through the API", async ({ page }) => {
  await signInAs(page, "Lee", "/services/ledger");
  await expect(page.getByRole("heading", { name: "Ledger", level: 1 })).toBeVisible();
  await expect(page.getByRole("note")).toHaveText("Read-only: only admins and members of Payments can edit this service.");
  await expect(page.getByRole("button", { name: "Edit service" })).toHaveCount(0);

  // The server refuses too: the same mutation the form sends, with Lee's session.
  const res = await page.request.post("/api/trpc/catalog.update", {
    data: { json: { slug: "ledger", changes: { description: "Lee was here" } } },
  });
  expect(res.status()).toBe(403);
  const body = await res.json();
  expect(body.error.json.message).toContain("Only admins and members of Payments");
  await page.reload();
  await expect(page.getByTestId("service-description")).not.toHaveText("Lee was here");
});

test("Sam sees the catalog's Users mapped to Pier accounts by e-mail", async ({ page }) => {
  // Seeded (prisma/seed/backstage-entities.ts): mapping on; User dana (Dana@Pier.example) is Dana, jordan has no account.
  await signInAs(page, "Sam", "/catalog/entity/user/default/dana");
  const account = page.getByTestId("pier-account");
  await expect(account).toContainText("Pier user: Dana");
  await expect(account.getByRole("link", { name: "Dana" })).toHaveAttribute("href", "/admin/users#user-demo-dana");
  await page.goto("/catalog/entity/user/default/jordan");
  await expect(page.getByTestId("pier-account")).toHaveText("Not mapped: no active Pier user has the e-mail jordan@contractor.example.");

  await page.goto("/admin/users");
  await expect(page.getByLabel("Map catalog Users to Pier accounts by email")).toBeChecked();
  const dana = page.getByRole("row").filter({ hasText: "dana@pier.example" });
  await expect(dana.getByText("Engineering")).toBeVisible();
  await expect(dana.getByText("from catalog")).toHaveCount(1);
  await expect(page.getByRole("list", { name: "Catalog Users with no Pier account" }).getByRole("link", { name: "jordan" })).toBeVisible();
});
