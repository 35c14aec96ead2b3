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
