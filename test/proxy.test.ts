// proxy.ts as Next runs it before a route: CSRF refusals for cookie-authenticated API writes (nothing reaches the
// route, nothing is written), security headers with a fresh CSP nonce on every response, sign-in redirects.
import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { POST as importRoute } from "@/app/api/catalog/import/route";
import { getDb } from "@/server/db";
import { proxy } from "../proxy";
import { makeTeam, makeUser, uid } from "./support/factories";

// The route reads the session through next-auth (cookies of a real request); here it is the user the test signs in.
const session = vi.hoisted(() => ({ userId: null as string | null }));
vi.mock("@/server/context", async () => {
  const { getDb } = await import("@/server/db");
  const { sessionUser } = await import("./support/factories");
  return { createRequestContext: async () => ({ db: getDb(), user: session.userId ? await sessionUser(session.userId) : null }) };
});

const SITE = "http://localhost:3000"; // PIER_BASE_URL's default

/** What Next does: run the proxy, and only when it lets the request through, the route. */
async function throughProxy(req: NextRequest) {
  const res = proxy(req);
  if (res.headers.get("x-middleware-next") !== "1") return res;
  return importRoute(req);
}

let team: { slug: string };
beforeAll(async () => {
  team = await makeTeam();
  session.userId = (await makeUser("admin", [])).id;
});

const component = (name: string) => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: ${name} }
spec: { type: service, lifecycle: production, owner: ${team.slug} }
`;
const exists = async (slug: string) => (await getDb().service.count({ where: { slug } })) > 0;

describe("CSRF on POST /api/catalog/import", () => {
  it("refuses a cross-site no-cors post (text/plain, credentials included) with 403 and imports nothing", async () => {
    const name = `csrf-${uid()}`;
    const res = await throughProxy(
      new NextRequest(`${SITE}/api/catalog/import`, {
        method: "POST",
        headers: {
          origin: "https://attacker.example",
          "sec-fetch-site": "cross-site",
          "sec-fetch-mode": "no-cors",
          "content-type": "text/plain;charset=UTF-8",
          cookie: "authjs.session-token=victim",
        },
        body: component(name),
      }),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: expect.stringContaining("Cross-site") });
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await exists(name)).toBe(false);
  });

  it("refuses a same-site page on another origin, and a same-origin text/plain post (415)", async () => {
    const name = `csrf-${uid()}`;
    const sameSite = await throughProxy(
      new NextRequest(`${SITE}/api/catalog/import`, {
        method: "POST",
        headers: { origin: "http://wiki.localhost:3000", "sec-fetch-site": "same-site", "content-type": "application/yaml" },
        body: component(name),
      }),
    );
    expect(sameSite.status).toBe(403);
    const plain = await throughProxy(
      new NextRequest(`${SITE}/api/catalog/import`, {
        method: "POST",
        headers: { origin: SITE, "sec-fetch-site": "same-origin", "content-type": "text/plain" },
        body: component(name),
      }),
    );
    expect(plain.status).toBe(415);
    expect(await exists(name)).toBe(false);
  });

  it("lets a same-origin request through to the import", async () => {
    const name = `csrf-${uid()}`;
    const res = await throughProxy(
      new NextRequest(`${SITE}/api/catalog/import`, {
        method: "POST",
        headers: { origin: SITE, "sec-fetch-site": "same-origin", "content-type": "application/yaml" },
        body: component(name),
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ counts: { created: 1 } });
    expect(await exists(name)).toBe(true);
    // A script with the session cookie sends the site's Origin and JSON.
    const other = `csrf-${uid()}`;
    const script = await throughProxy(
      new NextRequest(`${SITE}/api/catalog/import`, {
        method: "POST",
        headers: { origin: SITE, "content-type": "application/json" },
        body: JSON.stringify({ yaml: component(other) }),
      }),
    );
    expect(script.status).toBe(200);
    expect(await exists(other)).toBe(true);
  });
});

describe("security headers from the proxy", () => {
  it("puts a fresh nonce in the CSP of each page response and hands it to Next through the request", () => {
    const a = proxy(new NextRequest(`${SITE}/signin`));
    const b = proxy(new NextRequest(`${SITE}/signin`));
    const csp = a.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(b.headers.get("content-security-policy")).not.toContain(nonce);
    // NextResponse.next({ request: { headers } }) forwards overridden request headers as x-middleware-request-*.
    expect(a.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
    expect(a.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(a.headers.get("x-content-type-options")).toBe("nosniff");
    expect(a.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(a.headers.get("permissions-policy")).toContain("camera=()");
    expect(a.headers.get("strict-transport-security")).toBeNull();
  });

  it("sends HSTS when the request came over https, and headers on redirects too", () => {
    const res = proxy(new NextRequest(`${SITE}/services`, { headers: { "x-forwarded-proto": "https" } }));
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe(`${SITE}/signin?callbackUrl=%2Fservices`);
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000");
    expect(res.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
  });
});
