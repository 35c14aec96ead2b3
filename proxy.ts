// Runs before every page and API route (not static files):
// - CSRF: state-changing requests to cookie-authenticated API routes must come from Pier's own pages with their real
//   content type (server/platform/web-security.ts says which routes and why);
// - security headers on every response, with a fresh CSP nonce that Next puts on its scripts;
// - sends visitors without a session cookie to the sign-in page before any portal page renders
//   (the portal layout checks the session for real; this only saves a round trip).
import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/server/env";
import { csrfRefusal, newNonce, securityHeaders, servedOverHttps } from "@/server/platform/web-security";

const PUBLIC = [/^\/signin/, /^\/api\//, /^\/_next\//, /^\/favicon/, /^\/openapi/];

/** The origins Pier is reached at: the configured public URL and the one this request was addressed to. */
function siteOrigins(req: NextRequest, baseUrl: string) {
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0].trim() ?? req.nextUrl.protocol.replace(/:$/, "");
  const hosts = [req.headers.get("x-forwarded-host")?.split(",")[0].trim(), req.headers.get("host")].filter((h): h is string => Boolean(h));
  return [new URL(baseUrl).origin, req.nextUrl.origin, ...hosts.map((h) => `${proto}://${h}`)];
}

export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  const e = env();
  const nonce = newNonce();
  const headers = securityHeaders(nonce, { dev: e.NODE_ENV === "development", https: servedOverHttps(e.PIER_BASE_URL, req.headers, req.nextUrl.protocol) });
  const withHeaders = (res: NextResponse) => {
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
    return res;
  };

  const refusal = csrfRefusal(req.method, pathname, req.headers, siteOrigins(req, e.PIER_BASE_URL));
  if (refusal) return withHeaders(NextResponse.json({ error: refusal.error }, { status: refusal.status }));

  const hasSession = req.cookies.getAll().some((c) => c.name.endsWith("authjs.session-token"));
  if (!hasSession && !PUBLIC.some((re) => re.test(pathname))) {
    const url = req.nextUrl.clone();
    url.pathname = "/signin";
    url.search = `?callbackUrl=${encodeURIComponent(pathname + search)}`;
    return withHeaders(NextResponse.redirect(url));
  }

  // Next.js reads the nonce from the request's CSP header and puts it on the scripts it renders; pages can read x-nonce.
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }));
}

// Not the inbound endpoints (every /api/webhooks/* and /api/events/cdevents): each authenticates by its own
// signature or token (no cookie, so no CSRF gate and no sign-in redirect), and answers machines, for which the
// browser headers above mean nothing. Running the proxy for them cost every delivery a copy of its body (Next
// buffers it for the proxy, and cuts it at 10 MB — proxyClientMaxBodySize — while GitHub and GitLab send up to
// 25 MB) and ~0.1 ms of nonce and header work per request (measured on proxy() alone, under load).
export const config = { matcher: ["/((?!_next/static|_next/image|favicon.svg|api/webhooks/|api/events/cdevents).*)"] };
