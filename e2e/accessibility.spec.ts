// Every portal page, as the person who uses it, in light and dark mode and on a phone: no serious or critical axe
// violations, no sideways scrolling at 390 px, its own title; the header menus close like menus; unknown ids answer
// 404. Screenshots of the main pages go to test-results/screenshots/ for review; the figures (and the violations) to
// test-results/accessibility/<page>.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { signInAs, type DemoUser } from "./helpers";

type PortalPage = { name: string; path: string; user: DemoUser; main?: boolean };

// Some paths are resolved at run time from the seeded data (ids are made by the seed): the newest request, the demo
// fleet rollout (payment-gateway to prod, prisma/seed/fleet.ts) and the demo release (prisma/seed/releases.ts).
const DEPLOYMENT = "(newest deployment)";
const ROLLOUT = "(payment-gateway's prod rollout)";
const RELEASE = "(newest release)";
const PAGES: PortalPage[] = [
  { name: "home", path: "/", user: "Dana", main: true },
  { name: "catalog", path: "/catalog", user: "Dana", main: true },
  { name: "catalog-new", path: "/catalog/new", user: "Dana" },
  { name: "catalog-health", path: "/catalog/health", user: "Dana" },
  { name: "catalog-environments", path: "/catalog/environments", user: "Dana" },
  { name: "catalog-import", path: "/catalog/import", user: "Sam" },
  { name: "service", path: "/services/checkout-api", user: "Dana", main: true },
  { name: "service-deployments", path: "/services/checkout-api?tab=deployments", user: "Dana", main: true },
  { name: "service-dora", path: "/services/checkout-api?tab=dora", user: "Dana" },
  { name: "service-incidents", path: "/services/checkout-api?tab=incidents", user: "Dana" },
  { name: "service-activity", path: "/services/checkout-api?tab=activity", user: "Dana" },
  { name: "catalog-locations", path: "/catalog/locations", user: "Sam" },
  { name: "catalog-entities", path: "/catalog/entities", user: "Dana" },
  { name: "entity-api", path: "/catalog/entity/api/default/payments-api", user: "Dana", main: true },
  { name: "entity-group", path: "/catalog/entity/group/default/engineering", user: "Dana" },
  { name: "entity-system", path: "/catalog/entity/system/default/payments-platform", user: "Dana" },
  { name: "entity-user", path: "/catalog/entity/user/default/dana", user: "Dana" },
  { name: "team", path: "/teams/payments", user: "Dana" },
  { name: "team-new", path: "/teams/new", user: "Sam" },
  { name: "environments", path: "/environments", user: "Dana" },
  { name: "environment-dev", path: "/environments/dev", user: "Dana" },
  { name: "environment-staging", path: "/environments/staging", user: "Dana" },
  { name: "environment-prod", path: "/environments/prod", user: "Sam", main: true },
  { name: "environments-compare", path: "/environments/compare", user: "Dana" },
  { name: "releases", path: "/releases", user: "Dana" },
  { name: "release", path: RELEASE, user: "Alex", main: true },
  { name: "deployments", path: "/deployments", user: "Dana", main: true },
  { name: "deployment", path: DEPLOYMENT, user: "Alex", main: true },
  { name: "deployment-rollout", path: ROLLOUT, user: "Dana", main: true },
  { name: "deployment-new", path: "/deployments/new", user: "Dana" },
  { name: "approvals", path: "/approvals", user: "Alex", main: true },
  { name: "dora", path: "/dora", user: "Dana", main: true },
  { name: "dora-drilldown", path: "/dora?drill=deployments", user: "Dana" },
  { name: "dora-analytics", path: "/dora/analytics", user: "Dana" },
  { name: "incidents", path: "/incidents", user: "Dana" },
  { name: "audit", path: "/audit", user: "Alex" },
  { name: "settings-notifications", path: "/settings/notifications", user: "Dana" },
  { name: "settings-time-zone", path: "/settings/time-zone", user: "Dana" },
  { name: "admin", path: "/admin", user: "Sam" },
  { name: "admin-users", path: "/admin/users", user: "Sam" },
  { name: "admin-policies", path: "/admin/policies", user: "Sam" },
  { name: "admin-alerts", path: "/admin/alerts", user: "Sam" },
  { name: "admin-risk-model", path: "/admin/risk-model", user: "Sam" },
  { name: "admin-integrations", path: "/admin/integrations", user: "Sam" },
  { name: "admin-data-quality", path: "/admin/data-quality", user: "Sam", main: true },
  { name: "admin-audit-chain", path: "/admin/audit-chain", user: "Sam" },
  { name: "admin-notifications", path: "/admin/notifications", user: "Sam" },
  { name: "admin-notification-channels", path: "/admin/notifications/channels", user: "Sam" },
  { name: "admin-notification-routes", path: "/admin/notifications/routes", user: "Sam" },
  { name: "admin-notification-silences", path: "/admin/notifications/silences", user: "Sam" },
  { name: "admin-notification-templates", path: "/admin/notifications/templates", user: "Sam" },
  { name: "admin-notification-test", path: "/admin/notifications/test", user: "Sam" },
  { name: "admin-notification-deliveries", path: "/admin/notifications/deliveries", user: "Sam" },
];

const SCREENSHOTS = "test-results/screenshots";
// One file per page (a failed test restarts the worker, so nothing is kept in memory between tests).
const FIGURES = "test-results/accessibility";
type Figures = {
  page: string;
  path: string;
  title: string;
  axeLight: number;
  axeDark: number;
  axePhone: number;
  phoneOverflowPx: number;
  consoleErrors: number;
};

// Sign-in attempts are limited (per account and address): each demo user signs in once per run and the session is
// kept in a file named after the run's Redis prefix (scripts/test.sh sets a new one per run).
const AUTH = "test-results/.auth";
const sessionFile = (user: DemoUser) => `${AUTH}/${process.env.REDIS_PREFIX ?? "local"}-${user}.json`;

/** Makes sure `user` has a live session saved in sessionFile(user): reuses it if the portal still accepts it. */
async function ensureSession(browser: Browser, user: DemoUser) {
  const baseURL = test.info().project.use.baseURL!;
  const file = sessionFile(user);
  if (existsSync(file)) {
    const context = await browser.newContext({ baseURL, storageState: file });
    const page = await context.newPage();
    await page.goto("/");
    const live = (await page.getByTestId("user-menu").filter({ hasText: user }).count()) > 0;
    await context.close();
    if (live) return;
  }
  mkdirSync(AUTH, { recursive: true });
  // Contexts made here inherit the test options, this block's storageState (not written yet) included: start empty.
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await signInAs(page, user);
  await context.storageState({ path: file });
  await context.close();
}

/** Tests in this block run signed in as `user`. */
function signedInAs(user: DemoUser) {
  test.use({ storageState: sessionFile(user) });
  test.beforeAll(async ({ browser }) => ensureSession(browser, user));
}

test.beforeAll(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  mkdirSync(FIGURES, { recursive: true });
});

async function setTheme(context: BrowserContext, theme: "light" | "dark") {
  await context.addCookies([{ name: "pier-theme", value: theme, url: test.info().project.use.baseURL! }]);
}

/** Loads the page and waits until its client-side parts have their data (no "Loading…" spinner left). */
async function open(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.status(), `${path} answers 200`).toBe(200);
  await expect(page.getByTestId("user-menu")).toBeVisible();
  await expect(page.locator('[role="status"]', { hasText: "Loading" })).toHaveCount(0);
}

/** Serious and critical axe violations, as readable lines (rule, impact, first targets). */
async function axeViolations(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.nodes
          .slice(0, 3)
          .map((n) => `${n.target.join(" ")} — ${n.failureSummary?.split("\n")[1]?.trim() ?? ""}`)
          .join(" | ")}`,
    );
}

const overflowPx = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);

const resolved = new Map<string, string>();
async function resolvePath(page: Page, p: PortalPage) {
  if (!p.path.startsWith("(")) return p.path;
  let path = resolved.get(p.path);
  if (!path) {
    path = await (p.path === DEPLOYMENT ? newestDeployment(page) : p.path === ROLLOUT ? demoRollout(page) : newestRelease(page));
    resolved.set(p.path, path);
  }
  return path;
}

const firstHref = async (page: Page, selector: string, what: string) => {
  const href = await page.locator(selector).first().getAttribute("href");
  expect(href, what).toBeTruthy();
  return href!;
};

async function newestDeployment(page: Page) {
  await page.goto("/deployments");
  return firstHref(page, 'main a[href^="/deployments/"]:not([href="/deployments/new"])', "the seeded history lists a deployment");
}

async function demoRollout(page: Page) {
  await page.goto("/deployments");
  const optionValue = (select: string, label: string) => page.getByLabel(select, { exact: true }).locator("option", { hasText: label }).getAttribute("value");
  const query = new URLSearchParams({
    serviceId: (await optionValue("Service", "Payment gateway"))!,
    environmentId: (await optionValue("Environment", "prod"))!,
  });
  await page.goto(`/deployments?${query}`);
  const href = await firstHref(page, 'main a[href^="/deployments/"]:not([href="/deployments/new"])', "the demo rollout is seeded");
  await page.goto(href);
  await expect(page.getByTestId("rollout-status"), "the newest payment-gateway prod request is the seeded fleet rollout").toBeVisible();
  return href;
}

async function newestRelease(page: Page) {
  await page.goto("/releases");
  return firstHref(page, 'main a[href^="/releases/"]', "the demo release is seeded");
}

for (const user of [...new Set(PAGES.map((p) => p.user))]) {
  test.describe(`as ${user}`, () => {
    signedInAs(user);
    for (const p of PAGES.filter((page) => page.user === user)) pageTest(p);
  });
}

function pageTest(p: PortalPage) {
  test(`${p.name}: axe light and dark, phone width, title`, async ({ page, context }) => {
    // Three loads and three axe runs; axe takes tens of seconds on the biggest pages of a busy 2-core machine.
    test.setTimeout(180_000);
    await setTheme(context, "light");
    const path = await resolvePath(page, p);
    // What the browser reports as broken while the page loads and hydrates (hydration mismatches, failed requests).
    const consoleErrors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));

    await open(page, path);
    const title = await page.title();
    expect(title, "a page title of its own").toMatch(/^.+ · Pier$/);
    expect(title).not.toMatch(/· Pier · Pier$/);
    const light = await axeViolations(page);
    if (p.main) await page.screenshot({ path: `${SCREENSHOTS}/${p.name}-light.png`, fullPage: true });

    await setTheme(context, "dark");
    await open(page, path);
    await expect(page.locator("html")).toHaveClass(/dark/);
    const dark = await axeViolations(page);
    if (p.main) await page.screenshot({ path: `${SCREENSHOTS}/${p.name}-dark.png`, fullPage: true });

    await setTheme(context, "light");
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, path);
    const overflow = await overflowPx(page);
    const phone = await axeViolations(page);
    if (p.main) await page.screenshot({ path: `${SCREENSHOTS}/${p.name}-phone.png`, fullPage: true });

    const figures: Figures = {
      page: p.name,
      path,
      title,
      axeLight: light.length,
      axeDark: dark.length,
      axePhone: phone.length,
      phoneOverflowPx: Math.max(0, overflow),
      consoleErrors: consoleErrors.length,
    };
    writeFileSync(`${FIGURES}/${p.name}.json`, JSON.stringify({ ...figures, light, dark, phone, consoleErrors }, null, 2) + "\n");
    expect(light, "light mode: serious/critical axe violations").toEqual([]);
    expect(dark, "dark mode: serious/critical axe violations").toEqual([]);
    expect(phone, "390 px: serious/critical axe violations").toEqual([]);
    expect(overflow, "390 px: no horizontal scrolling").toBeLessThanOrEqual(0);
    expect(consoleErrors, "no errors in the browser console").toEqual([]);
  });
}

test("every page has a title of its own", () => {
  // One title per route: a view of the same page (a DORA drill-down) may share its page's title.
  const byPath = new Map<string, string>();
  for (const p of PAGES) {
    const f = JSON.parse(readFileSync(`${FIGURES}/${p.name}.json`, "utf8")) as Figures;
    byPath.set(new URL(f.path, "http://pier").pathname, f.title);
  }
  const titles = [...byPath.values()];
  expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
});

test.describe("header menus at 390 px", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test.describe("as Sam", () => {
    signedInAs("Sam");
    test("the navigation menu closes after navigating and on a tap outside it", async ({ page }) => {
      await page.goto("/");
      const menu = page.getByTestId("nav-menu");
      await page.getByLabel("Open navigation").click();
      await expect(menu).toHaveAttribute("open", "");
      await menu.getByRole("link", { name: "Catalog" }).click();
      await expect(page).toHaveURL(/\/catalog$/);
      await expect(menu).not.toHaveAttribute("open");

      await page.getByLabel("Open navigation").click();
      await expect(menu).toHaveAttribute("open", "");
      await page.mouse.click(200, 700); // the page below the menu
      await expect(menu).not.toHaveAttribute("open");
      expect(await overflowPx(page)).toBeLessThanOrEqual(0);
    });
  });

  test.describe("as Dana", () => {
    signedInAs("Dana");
    test("the user menu opens and closes by keyboard (focus returns to its button) and closes after navigating", async ({ page }) => {
      await page.goto("/");
      const menu = page.getByTestId("user-menu");
      const button = menu.locator("summary");
      await button.focus();
      await page.keyboard.press("Enter");
      await expect(menu).toHaveAttribute("open", "");
      await page.keyboard.press("Tab");
      await expect(menu.getByRole("link", { name: "Notification settings" })).toBeFocused();
      await page.keyboard.press("Escape");
      await expect(menu).not.toHaveAttribute("open");
      await expect(button).toBeFocused();

      await button.click();
      await menu.getByRole("link", { name: "Notification settings" }).click();
      await expect(page).toHaveURL(/\/settings\/notifications$/);
      await expect(menu).not.toHaveAttribute("open");

      // A link to the page already shown changes no URL: the menu still closes.
      await button.click();
      await menu.getByRole("link", { name: "Notification settings" }).click();
      await expect(menu).not.toHaveAttribute("open");
    });

    test("the bell lists Dana's notifications, links to the item and marks them read", async ({ page }) => {
      await page.goto("/");
      const bell = page.getByTestId("notification-bell");
      await expect(bell.getByTestId("unread-count")).toBeVisible();
      await bell.locator("summary").click();
      const items = bell.getByRole("listitem");
      await expect(items.first()).toBeVisible();
      expect(await overflowPx(page)).toBeLessThanOrEqual(0);
      await page.keyboard.press("Escape");
      await expect(bell).not.toHaveAttribute("open");

      await bell.locator("summary").click();
      await items.first().getByRole("link").click();
      await expect(page).toHaveURL(/\/(deployments|services)\//);
      await expect(bell).not.toHaveAttribute("open");
      await bell.locator("summary").click();
      await bell.getByRole("button", { name: "Mark all read" }).click();
      await expect(bell.getByTestId("unread-count")).toHaveCount(0);
    });
  });
});

test.describe("as Dana", () => {
  signedInAs("Dana");

  test("unknown ids answer 404 with the Not found page", async ({ page }) => {
    // Two loads for each of a dozen paths: more than a minute on a busy 2-core machine.
    test.setTimeout(180_000);
    const unknown = [
      "/deployments/no-such-request",
      `/deployments/${"x".repeat(80)}`,
      "/services/no-such-service",
      "/teams/no-such-team",
      "/environments/no-such-environment",
      `/environments/${"x".repeat(80)}`,
      "/releases/no-such-release",
      "/releases/00000000-0000-4000-8000-000000000000",
      "/catalog/entity/api/default/no-such-api",
      "/catalog/entity/no-such-kind/default/payments-api",
      "/no-such-page",
    ];
    for (const path of unknown) {
      const res = await page.request.get(path, { maxRedirects: 0 });
      expect(res.status(), `${path} over HTTP`).toBe(404);
      const response = await page.goto(path);
      expect(response?.status(), `${path} in the browser`).toBe(404);
      await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
      await expect(page.locator("body")).not.toContainText("Minified React error");
      await expect(page.locator("body")).not.toContainText("Something went wrong");
    }
    // Inside the portal the Not found page keeps the signed-in shell (navigation, user menu).
    await page.goto("/services/no-such-service");
    await expect(page.getByTestId("user-menu")).toContainText("Dana");
    await expect(page).toHaveTitle("Not found · Pier");
  });

  test("home lists Dana's requests and her services' activity, each linking to its request", async ({ page }) => {
    await page.goto("/");
    for (const list of ["home-my-requests", "home-activity"]) {
      const link = page.getByTestId(list).getByRole("link").first();
      await expect(link).toHaveAttribute("href", /^\/deployments\/[^/]+$/);
      await expect(link).toHaveText(/^.+ → \S+ \S+$/);
    }
    await expect(page.getByTestId("home-my-requests").locator("li").first().locator("time")).toHaveCount(1);
  });

  test.describe("in Paris", () => {
    test.use({ timezoneId: "Europe/Paris" });
    test("the daily digest (08:00 UTC) is offered at its time in Dana's zone", async ({ page }) => {
      await page.goto("/settings/notifications");
      // 09:00 in winter (CET), 10:00 in summer (CEST).
      await expect(page.locator('#pref-digest option[value="daily"]')).toHaveText(/^Daily digest \(every day at (09|10):00 Europe\/Paris\)$/);
    });

    test("a drifted target says since when in Dana's zone, not in UTC", async ({ page }) => {
      await page.goto("/environments/compare");
      // The seeded drift (checkout-api on prod-us-1): "since 2 Dec 2026, 09:12 CET".
      await expect(page.locator('span[title^="since "]').first()).toHaveAttribute("title", /^since \d{1,2} \w{3,4} \d{4}, \d{2}:\d{2} (CET|CEST)$/);
    });
  });

  test("a drill-down title is not hidden under the sticky header", async ({ page }) => {
    await page.goto("/dora");
    await page.getByTestId("dora-deploymentFrequency").click();
    const heading = page.locator("#drilldown h2");
    await expect(heading).toBeVisible();
    await expect
      .poll(async () => {
        const headerBottom = await page.locator("header").evaluate((h) => h.getBoundingClientRect().bottom);
        const top = await heading.evaluate((h) => h.getBoundingClientRect().top);
        return top >= headerBottom;
      })
      .toBe(true);
  });
});
