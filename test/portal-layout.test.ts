// The portal shell, rendered on the server as Next renders it: the demo sign-in warning is on every portal page
// while demo sign-in is on, readable in light and dark mode, and absent when it is off.
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resetEnvForTests } from "../server/env";

vi.mock("@/app/_lib/server-caller", () => ({
  currentUser: async () => ({ id: "u1", email: "dana@pier.example", name: "Dana", role: "developer", teamIds: [] }),
}));
// The bell fetches through tRPC in the browser (tested in server/inbox); the shell renders without a provider.
vi.mock("../app/_components/notification-bell", () => ({ NotificationBell: () => null }));
vi.mock("next/headers", () => ({ cookies: async () => ({ get: () => undefined }) }));
vi.mock("next/navigation", async (original) => ({ ...(await original<typeof import("next/navigation")>()), usePathname: () => "/catalog" }));

const { default: PortalLayout } = await import("../app/(portal)/layout");

async function renderPortalPage() {
  return renderToStaticMarkup(await PortalLayout({ children: createElement("p", null, "the page") }));
}

const saved = process.env.PIER_DEMO_LOGIN;
afterEach(() => {
  if (saved === undefined) delete process.env.PIER_DEMO_LOGIN;
  else process.env.PIER_DEMO_LOGIN = saved;
  resetEnvForTests();
});

describe("portal layout", () => {
  it("shows the demo sign-in warning on every portal page while demo sign-in is on", async () => {
    process.env.PIER_DEMO_LOGIN = "true";
    resetEnvForTests();
    const html = await renderPortalPage();
    expect(html).toContain("the page");
    const banner = html.match(/<aside[^>]*data-testid="demo-login-banner"[^>]*>.*?<\/aside>/)?.[0];
    expect(banner).toContain("Demo sign-in is enabled: anyone can sign in as any demo user");
    // Dark text on a light background in light mode, light text on a dark background in dark mode.
    const classes = banner?.match(/class="([^"]*)"/)?.[1].split(/\s+/) ?? [];
    expect(classes).toEqual(expect.arrayContaining(["bg-amber-100", "text-amber-950", "dark:bg-amber-950", "dark:text-amber-100"]));
    expect(html.indexOf("demo-login-banner")).toBeLessThan(html.indexOf("<header"));
  });

  it("shows no warning when demo sign-in is off", async () => {
    process.env.PIER_DEMO_LOGIN = "false";
    resetEnvForTests();
    const html = await renderPortalPage();
    expect(html).toContain("the page");
    expect(html).not.toContain("Demo sign-in is enabled");
  });
});
