import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, csrfRefusal, newNonce, safeCallbackPath, sameOriginRedirect, securityHeaders, servedOverHttps } from "./web-security";

describe("sign-in redirects stay on Pier (open redirect)", () => {
  it.each([
    "/%5Cevil.example/phish",
    "/%5cevil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/%0a/evil.example",
    "/\r\n/evil.example",
    "//evil.example",
    "//evil.example/%2F..",
    "/%2Fevil.example",
    "/%2fevil.example",
    "/%252Fevil.example",
    "/%25255Cevil.example",
    "https://evil.example",
    "HTTPS://evil.example/x",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/%00/evil.example",
    " //evil.example",
    "/\u0000/evil.example",
    "%2F%2Fevil.example",
    "/%E0%A4%A", // malformed escape
  ])("refuses %j", (raw) => {
    expect(safeCallbackPath(raw)).toBe("/");
  });

  it.each([
    ["/", "/"],
    ["/services/payments-api", "/services/payments-api"],
    ["/deployments?status=failed&env=prod#top", "/deployments?status=failed&env=prod#top"],
    ["/services/a%20b", "/services/a%20b"],
    ["/admin/../services", "/services"],
  ])("keeps the same-origin path %j", (raw, expected) => {
    expect(safeCallbackPath(raw)).toBe(expected);
  });

  it("takes the first of repeated parameters and refuses non-strings", () => {
    expect(safeCallbackPath(["/services", "//evil.example"])).toBe("/services");
    expect(safeCallbackPath(["//evil.example", "/services"])).toBe("/");
    expect(safeCallbackPath(undefined)).toBe("/");
    expect(safeCallbackPath(null)).toBe("/");
    expect(safeCallbackPath("/" + "a".repeat(3000))).toBe("/");
  });

  it("next-auth's redirect callback applies the same rule to absolute URLs", () => {
    const base = "https://pier.example.com";
    expect(sameOriginRedirect("https://pier.example.com/services?x=1", base)).toBe("https://pier.example.com/services?x=1");
    expect(sameOriginRedirect("/deployments", base)).toBe("https://pier.example.com/deployments");
    expect(sameOriginRedirect("https://evil.example/phish", base)).toBe("https://pier.example.com/");
    expect(sameOriginRedirect("https://pier.example.com.evil.example/", base)).toBe("https://pier.example.com/");
    expect(sameOriginRedirect("/%5Cevil.example/phish", base)).toBe("https://pier.example.com/");
    expect(sameOriginRedirect("/\t/evil.example", base)).toBe("https://pier.example.com/");
    expect(sameOriginRedirect("https://pier.example.com/%5Cevil.example", base)).toBe("https://pier.example.com/");
    expect(sameOriginRedirect("http://pier.example.com/services", base)).toBe("https://pier.example.com/"); // other scheme, other origin
    expect(sameOriginRedirect("not a url", base)).toBe("https://pier.example.com/");
  });
});

describe("CSRF on cookie-authenticated API routes", () => {
  const site = ["https://pier.example.com"];
  const h = (headers: Record<string, string>) => new Headers(headers);

  it("refuses cross-site and same-site-but-other-origin writes, and writes without any origin signal", () => {
    const noCors = h({
      origin: "https://attacker.example",
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "no-cors",
      "content-type": "text/plain;charset=UTF-8",
    });
    expect(csrfRefusal("POST", "/api/catalog/import", noCors, site)).toMatchObject({ status: 403 });
    expect(csrfRefusal("POST", "/api/catalog/import", h({ origin: "https://wiki.example.com", "sec-fetch-site": "same-site" }), site)).toMatchObject({
      status: 403,
    });
    expect(csrfRefusal("POST", "/api/catalog/import", h({ origin: "https://attacker.example", "content-type": "application/json" }), site)).toMatchObject({
      status: 403,
    });
    expect(csrfRefusal("POST", "/api/catalog/import", h({ origin: "null", "content-type": "application/json" }), site)).toMatchObject({ status: 403 });
    expect(csrfRefusal("POST", "/api/catalog/import", h({ "content-type": "application/json" }), site)).toMatchObject({ status: 403 });
    expect(csrfRefusal("DELETE", "/api/anything-new", h({ "sec-fetch-site": "cross-site" }), site)).toMatchObject({ status: 403 });
  });

  it("refuses the content types a cross-site form or no-cors fetch can send, even from the same origin", () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]) {
      const headers = h({ origin: site[0], "sec-fetch-site": "same-origin", ...(type ? { "content-type": type } : {}) });
      expect(csrfRefusal("POST", "/api/catalog/import", headers, site)).toMatchObject({ status: 415 });
    }
  });

  it("lets Pier's own pages and scripts that send Origin through", () => {
    for (const type of ["application/json", "application/yaml", "text/yaml; charset=utf-8"]) {
      expect(csrfRefusal("POST", "/api/catalog/import", h({ origin: site[0], "sec-fetch-site": "same-origin", "content-type": type }), site)).toBeNull();
    }
    expect(csrfRefusal("POST", "/api/catalog/import", h({ origin: site[0], "content-type": "application/json" }), site)).toBeNull();
    expect(csrfRefusal("POST", "/api/catalog/import", h({ "sec-fetch-site": "same-origin", "content-type": "application/json" }), site)).toBeNull();
    expect(csrfRefusal("POST", "/api/new-route", h({ origin: site[0], "content-type": "application/yaml" }), site)).toMatchObject({ status: 415 });
  });

  it("leaves reads, signed webhooks, bearer-token ingestion, next-auth and tRPC to their own checks", () => {
    const cross = h({ origin: "https://attacker.example", "sec-fetch-site": "cross-site", "content-type": "text/plain" });
    expect(csrfRefusal("GET", "/api/catalog/export", cross, site)).toBeNull();
    for (const path of [
      "/api/webhooks/github",
      "/api/webhooks/pagerduty",
      "/api/webhooks/gitlab",
      "/api/webhooks/argocd",
      "/api/webhooks/terraform",
      "/api/events/cdevents",
      "/api/deployments/callback",
      "/api/auth/signout",
      "/api/trpc/x",
    ]) {
      expect(csrfRefusal("POST", path, cross, site)).toBeNull();
    }
    expect(csrfRefusal("POST", "/api/deployments/callbackx", cross, site)).toMatchObject({ status: 403 });
  });
});

describe("security headers", () => {
  it("builds a nonce CSP without unsafe-inline scripts, and the fixed headers", () => {
    const nonce = newNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(newNonce()).not.toBe(nonce);
    const headers = securityHeaders(nonce, { dev: false, https: false });
    const csp = headers["Content-Security-Policy"];
    const scriptSrc = csp.split("; ").find((d) => d.startsWith("script-src"));
    expect(scriptSrc).toBe(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'self'");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["Permissions-Policy"]).toMatch(/camera=\(\).*microphone=\(\).*geolocation=\(\)/);
    expect(headers["Strict-Transport-Security"]).toBeUndefined();
  });

  it("adds HSTS over https only; next dev gets unsafe-eval", () => {
    expect(securityHeaders("n", { dev: false, https: true })["Strict-Transport-Security"]).toBe("max-age=31536000");
    expect(contentSecurityPolicy("n", { dev: false, https: true })).toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("n", { dev: true, https: false })).toContain("'unsafe-eval'");
    expect(contentSecurityPolicy("n", { dev: true, https: false })).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(servedOverHttps("https://pier.example.com", new Headers(), "http:")).toBe(true);
    expect(servedOverHttps("http://localhost:3000", new Headers({ "x-forwarded-proto": "https" }), "http:")).toBe(true);
    expect(servedOverHttps("http://localhost:3000", new Headers({ "x-forwarded-proto": "http" }), "http:")).toBe(false);
    expect(servedOverHttps("http://localhost:3000", new Headers(), "http:")).toBe(false);
  });
});
