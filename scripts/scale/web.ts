// The web tier of `npm run bench:scale` when there is no `.next` build to `next start`: one Node process serving the
// same route handlers (app/api/**/route.ts: tRPC with server/context.ts's context, auth, ingestion, health) through
// Node's http server, each request a NextRequest as Next passes it. What differs from `next start`: no pages (the
// benchmark calls only APIs), no Next router, and the request scope `headers()` reads (server/auth.ts →
// next-auth's auth()) is set up here with Next's own async storages — a minimal store whose `headers()` answers the
// request's headers, untracked (there is no rendering to make dynamic). Listens on SCALE_WEB_PORT.
import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";

/** Next's request-scope storages (they need globalThis.AsyncLocalStorage, which Next's server sets up first). */
async function requestScope() {
  Object.assign(globalThis, { AsyncLocalStorage });
  const { workAsyncStorage } = await import("next/dist/server/app-render/work-async-storage.external");
  const { workUnitAsyncStorage } = await import("next/dist/server/app-render/work-unit-async-storage.external");
  /** Runs `fn` in a request scope in which next/headers' `headers()` returns `headers`. */
  return <T>(route: string, headers: Headers, fn: () => Promise<T>): Promise<T> => {
    const workStore = { route, forceStatic: false, dynamicShouldError: false };
    const unitStore = { type: "private-cache", phase: "action", headers };
    return workAsyncStorage.run(workStore as never, () => workUnitAsyncStorage.run(unitStore as never, fn));
  };
}

type Handler = (req: NextRequestType) => Promise<Response>;
type NextRequestType = import("next/server").NextRequest;

async function load() {
  const inRequestScope = await requestScope();
  const { NextRequest } = await import("next/server");
  const trpcRoute = await import("../../app/api/trpc/[trpc]/route");
  const authRoute = await import("../../app/api/auth/[...nextauth]/route");
  const cdeventsRoute = await import("../../app/api/events/cdevents/route");
  const githubRoute = await import("../../app/api/webhooks/github/route");
  const healthRoute = await import("../../app/api/health/route");
  const route = (method: string, pathname: string): Handler | null => {
    const post = method === "POST";
    if (pathname.startsWith("/api/trpc/")) return (post ? trpcRoute.POST : trpcRoute.GET) as Handler;
    if (pathname.startsWith("/api/auth/")) return (post ? authRoute.POST : authRoute.GET) as Handler;
    if (pathname === "/api/events/cdevents" && post) return cdeventsRoute.POST;
    if (pathname === "/api/webhooks/github" && post) return githubRoute.POST;
    if (pathname === "/api/health" && method === "GET") return healthRoute.GET as Handler;
    return null;
  };
  return { NextRequest, route, inRequestScope };
}

export async function serveWeb() {
  const { NextRequest, route, inRequestScope } = await load();
  const port = Number(process.env.SCALE_WEB_PORT ?? 3300);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
      const handler = route(req.method ?? "GET", url.pathname);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      // As Next's server adds them (next-auth builds its URLs, and picks its cookie names, from these). Not
      // x-forwarded-for: every simulated user comes from 127.0.0.1 and would share one sign-in rate limit.
      headers.set("x-forwarded-proto", "http");
      headers.set("x-forwarded-host", headers.get("host") ?? `127.0.0.1:${port}`);
      headers.set("x-forwarded-port", String(port));
      const request = new NextRequest(url, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks),
      });
      const response = await inRequestScope(url.pathname, headers, () => handler(request));
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((v, k) => (k === "set-cookie" ? undefined : (out[k] = v)));
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) out["set-cookie"] = cookies;
      res.writeHead(response.status, out);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      console.error(err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1", () => console.log("ready"));
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
