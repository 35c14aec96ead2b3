import { expect, test } from "@playwright/test";
import { signInAs, signOut } from "./helpers";

test("an anonymous visit to a portal page redirects to sign-in and comes back after it", async ({ page }) => {
  await page.goto("/catalog");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fcatalog/);
  await expect(page.getByRole("heading", { name: "Sign in to Pier" })).toBeVisible();
  for (const label of ["Dana — developer", "Alex — approver", "Sam — admin"]) {
    await expect(page.getByRole("button", { name: new RegExp(label) })).toBeVisible();
  }
});

test("Dana signs in, sees her teams, toggles dark mode (kept after reload) and signs out", async ({ page }) => {
  await signInAs(page, "Dana");
  const teams = page.getByTestId("my-teams");
  await expect(teams.getByRole("link", { name: "Payments" })).toBeVisible();
  await expect(teams.getByRole("link", { name: "Growth" })).toBeVisible();
  await expect(teams.getByRole("link", { name: "Platform" })).toHaveCount(0);

  const html = page.locator("html");
  await expect(html).not.toHaveClass(/dark/);
  await page.getByRole("button", { name: "Switch to dark mode" }).click();
  await expect(html).toHaveClass(/dark/);
  await page.reload();
  await expect(html).toHaveClass(/dark/);
  await page.getByRole("button", { name: "Switch to light mode" }).click();
  await expect(html).not.toHaveClass(/dark/);

  await signOut(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});

test("the shell works at phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signInAs(page, "Sam");
  await page.getByLabel("Open navigation").click();
  const mobileNav = page.getByRole("navigation", { name: "Main (mobile)" });
  await expect(mobileNav.getByRole("link", { name: "Admin" })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test("health and metrics endpoints answer", async ({ request }) => {
  const health = await request.get("/api/health");
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", checks: { postgres: { ok: true }, redis: { ok: true } } });
  // Metrics need the bearer token (scripts/test.sh sets PIER_METRICS_TOKEN for the server and this test).
  expect((await request.get("/api/metrics")).status()).toBe(401);
  const metrics = await request.get("/api/metrics", { headers: { authorization: `Bearer ${process.env.PIER_METRICS_TOKEN}` } });
  expect(await metrics.text()).toContain('pier_http_requests_total{route="/api/health",method="GET",status="200"}');
});

test("Sam changes a role only after confirming what it allows; cancelling or Escape leaves it unchanged", async ({ page }) => {
  await signInAs(page, "Sam", "/admin/users");
  const role = page.getByLabel("Role of Lee");
  await expect(role).toHaveValue("developer");

  await role.focus();
  await role.selectOption("approver");
  const dialog = page.getByRole("alertdialog", { name: "Change Lee's role from developer to approver?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Lee will be able to approve deployments where a policy asks for approvers");
  // The safe choice has focus; cancelling closes the dialog, keeps the role and returns focus to the dropdown.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(role).toHaveValue("developer");
  await expect(role).toBeFocused();

  await role.selectOption("admin");
  await expect(page.getByRole("alertdialog", { name: "Change Lee's role from developer to admin?" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("alertdialog")).toBeHidden();
  await page.reload();
  await expect(page.getByLabel("Role of Lee")).toHaveValue("developer");

  // Confirmed: changed, and a toast says so. Then back, so the seeded roles hold for the other journeys.
  await page.getByLabel("Role of Lee").selectOption("approver");
  await page.getByRole("alertdialog").getByRole("button", { name: "Make Lee an approver" }).click();
  await expect(page.getByTestId("toast")).toContainText("Lee is now an approver");
  await expect(page.getByLabel("Role of Lee")).toHaveValue("approver");
  await page.getByLabel("Role of Lee").selectOption("developer");
  await expect(page.getByRole("alertdialog")).toContainText("Lee will no longer be able to approve deployments");
  await page.getByRole("alertdialog").getByRole("button", { name: "Make Lee a developer" }).click();
  await expect(page.getByLabel("Role of Lee")).toHaveValue("developer");
});
