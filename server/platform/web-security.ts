// Browser-facing hardening in one place, with no I/O so proxy.ts, next.config.ts, next-auth and tests share it:
// where a sign-in may send the user back to (open redirect), which cookie-authenticated requests may change
// something (CSRF), and the security headers of every response (CSP with a per-request nonce).

const PLACEHOLDER_ORIGIN = "http://pier.invalid";

const hasControlOrBackslash = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === "\x7f" || c === "\\");

/**
 * The same-origin path a user may be sent to after signing in, or "/" for anything else. Refuses absolute URLs,
 * protocol-relative forms ("//host", "/\host", "/%5Chost", "/\t/host"), control characters and whitespace in any
 * percent-decoding of the value: browsers strip tabs/newlines and read "\" as "/", so such paths leave the site.
 */
export function safeCallbackPath(raw: unknown): string {
  const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (typeof value !== "string" || value.length === 0 || value.length > 2000) return "/";
  // Every decoding a browser, Next or next-auth might apply on the way must be harmless too.
  let decoded = value;
  for (let depth = 0; ; depth++) {
    if (depth > 4 || !/^\/(?![/\\])/.test(decoded) || hasControlOrBackslash(decoded)) return "/";
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return "/";
    }
    if (next === decoded) break;
    decoded = next;
  }
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * next-auth's redirect callback: an absolute URL on Pier's own origin or a safe path, else Pier's home page.
 * Uses safeCallbackPath, so the sign-in page and next-auth apply one rule.
 */
export function sameOriginRedirect(url: string, baseUrl: string): string {
  const base = new URL(baseUrl);
  let path: unknown = url;
  if (!url.startsWith("/")) {
    try {
      const target = new URL(url);
      path = target.origin === base.origin ? `${target.pathname}${target.search}${target.hash}` : "/";
    } catch {
      path = "/";
    }
  }
  const basePath = base.pathname.replace(/\/$/, "");
  return `${base.origin}${basePath}${safeCallbackPath(path)}`;
}

// ── CSRF ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Routes that are not cookie-authenticated (signed webhooks, bearer tokens) or carry their own CSRF defence. */
const CSRF_EXEMPT = [
  /^\/api\/trpc(\/|$)/, // tRPC: JSON batches from Pier's own client (out of scope here)
  /^\/api\/auth(\/|$)/, // next-auth: its own double-submit CSRF token
  /^\/api\/webhooks\//, // signed or token-checked by each vendor (GitHub, PagerDuty, GitLab, Argo CD, Terraform)
  /^\/api\/events\//, // bearer ingest tokens
  /^\/api\/deployments\/callback$/, // HMAC-signed by the deployment system
];

/** The content types each cookie-authenticated write route really takes; other routes take JSON only. */
const ROUTE_CONTENT_TYPES: [RegExp, string[]][] = [[/^\/api\/catalog\/import$/, ["application/json", "application/yaml", "application/x-yaml", "text/yaml"]]];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type CsrfRefusal = { status: 403 | 415; error: string };

/**
 * Refuses a state-changing request to a cookie-authenticated API route unless it comes from Pier's own pages
 * (Sec-Fetch-Site: same-origin and/or an Origin that is one of Pier's) with the route's real content type: a
 * cross-site form or `fetch(…, {mode: "no-cors"})` can only send text/plain, form or multipart bodies. Scripts that
 * use a session cookie send `Origin: <PIER_BASE_URL>` and their content type.
 */
export function csrfRefusal(method: string, pathname: string, headers: Headers, siteOrigins: string[]): CsrfRefusal | null {
  if (SAFE_METHODS.has(method.toUpperCase()) || !pathname.startsWith("/api/")) return null;
  if (CSRF_EXEMPT.some((re) => re.test(pathname))) return null;
  const fetchSite = headers.get("sec-fetch-site")?.toLowerCase();
  const origin = headers.get("origin");
  if (fetchSite && fetchSite !== "same-origin") return { status: 403, error: `Cross-site request refused (Sec-Fetch-Site: ${fetchSite})` };
  if (origin !== null && !siteOrigins.includes(origin)) return { status: 403, error: "Cross-site request refused (Origin is not this site)" };
  if (!fetchSite && origin === null) return { status: 403, error: "Request refused: send the Origin header of this site" };
  const contentType = (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const allowed = ROUTE_CONTENT_TYPES.find(([re]) => re.test(pathname))?.[1] ?? ["application/json"];
  if (!allowed.includes(contentType)) return { status: 415, error: `Content-Type must be ${allowed.join(" or ")}` };
  return null;
}

// ── Security headers ──────────────────────────────────────────────────────────────────────────────────────────

/** Headers that do not depend on the request: next.config.ts sends them on every response (static files too). */
export const STATIC_SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** A fresh nonce for one response (128 random bits, base64). */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/**
 * Content-Security-Policy as Next.js documents for nonces: scripts only with this response's nonce ('strict-dynamic'
 * lets Next's own chunks load); no 'unsafe-inline' for scripts outside `next dev` (which needs 'unsafe-eval').
 * Styles keep 'unsafe-inline': React style attributes and Next's injected styles carry no nonce.
 */
export function contentSecurityPolicy(nonce: string, opts: { dev: boolean; https: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    ...(opts.https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/** Every security header of one response. HSTS only when the site is served over https. */
export function securityHeaders(nonce: string, opts: { dev: boolean; https: boolean }): Record<string, string> {
  return {
    ...STATIC_SECURITY_HEADERS,
    "Content-Security-Policy": contentSecurityPolicy(nonce, opts),
    ...(opts.https ? { "Strict-Transport-Security": "max-age=31536000" } : {}),
  };
}

/** Whether this request reached Pier over https (directly, or via a proxy that says so, or by configuration). */
export function servedOverHttps(baseUrl: string, headers: Headers, requestProtocol: string): boolean {
  const forwarded = headers.get("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return baseUrl.startsWith("https:") || forwarded === "https" || requestProtocol === "https:";
}
