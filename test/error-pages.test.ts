// Pier's own error pages: the root boundary and the last-resort global one render Pier's page with a retry, readable
// in dark mode; the portal shell shows "database unavailable" instead of failing when it cannot read the user.
import { createElement, type ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";

const refresh = vi.fn();
vi.mock("next/navigation", () => ({ useRouter: () => ({ refresh }), redirect: (to: string) => Promise.reject(new Error(`redirect ${to}`)) }));
vi.mock("next/headers", () => ({ cookies: async () => ({ get: () => undefined }) }));
vi.mock("@/app/_lib/server-caller", () => ({
  currentUser: () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })),
}));

describe("error pages", () => {
  it("the root error boundary shows Pier's page with a retry and the reference, in light and dark", async () => {
    const { default: RootError } = await import("@/app/error");
    const html = renderToStaticMarkup(createElement(RootError, { error: Object.assign(new Error("boom"), { digest: "abc123" }), reset: () => undefined }));
    expect(html).toContain('role="alert"');
    expect(html).toContain("Try again");
    expect(html).toContain("Reference: abc123");
    expect(html).toContain("Pier");
    // Readable in dark mode: the panel and its text have dark variants.
    expect(html).toMatch(/dark:bg-gray-900/);
    expect(html).toMatch(/dark:text-gray-100/);
    expect(html).not.toContain("boom"); // no internals shown
  });

  it("the global error page renders a whole document that follows the dark scheme", async () => {
    const { default: GlobalError } = await import("@/app/global-error");
    const html = renderToStaticMarkup(createElement(GlobalError, { error: new Error("layout failed"), reset: () => undefined }));
    expect(html).toMatch(/^<html/);
    expect(html).toContain("prefers-color-scheme: dark");
    expect(html).toContain("Try again");
  });

  it("the portal shell shows that the database is unavailable when it cannot read the user", async () => {
    const { default: PortalLayout } = await import("@/app/(portal)/layout");
    const element = (await PortalLayout({ children: createElement("p", null, "PAGE-CONTENT") })) as ReactElement;
    const html = renderToStaticMarkup(element);
    expect(html).toContain("cannot reach its database");
    expect(html).toContain("Try again");
    expect(html).not.toContain("PAGE-CONTENT");
  });
});
