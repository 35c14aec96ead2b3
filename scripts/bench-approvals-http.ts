// The HTTP side of `npm run bench:approvals` (the default; BENCH_DIRECT=1 calls the tRPC caller in-process instead):
// one web process serving the real route handlers (scripts/scale/web.ts: app/api/trpc with server/context.ts, the
// next-auth routes), each approver signed in through next-auth's demo sign-in, and the calls made as the browser
// makes them — GET /api/trpc/approvals.inbox?input=…, POST /api/trpc/approvals.decide — over keep-alive connections.
// So a call's cost includes what the in-process caller skips: the session cookie, the context, the Request/Response
// objects and the answer's serialisation. BENCH_WEB_NODE_ARGS adds node flags to the web process (e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";

const ROOT = path.join(__dirname, "..");

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

type Answer = { status: number; body: string; setCookie: string[] };

/** A tRPC error answer (CONFLICT, FORBIDDEN, …) with its code. */
export class TrpcHttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type WebProcess = Awaited<ReturnType<typeof startWeb>>;

/** Starts the web process against `databaseUrl` and waits until it answers its health check. */
export async function startWeb(databaseUrl: string, redisPrefix: string) {
  const port = await freePort();
  const extra = (process.env.BENCH_WEB_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...extra, "--import", "tsx", path.join(ROOT, "scripts", "bench-scale.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      SCALE_ROLE: "web",
      SCALE_WEB_PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: redisPrefix,
      // Not "production": that refuses the demo sign-in used here.
      NODE_ENV: "development",
      AUTH_SECRET: "bench-approvals-auth-secret-".repeat(2),
      PIER_PROCESS: "pier-web-bench-approvals",
      LOG_LEVEL: "warn",
    },
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
  });
  let exited = false;
  child.once("exit", () => (exited = true));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

  const send = (method: string, pathname: string, headers: Record<string, string>, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method,
          path: pathname,
          agent,
          headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), setCookie: res.headers["set-cookie"] ?? [] }));
          res.on("error", reject);
        },
      );
      req.setTimeout(120_000, () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(body);
    });

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error("the web process exited while starting");
    if (Date.now() > deadline) throw new Error("the web process did not answer /api/health within 120 s");
    const ok = await send("GET", "/api/health", {}).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }

  const cookie = (setCookie: string[], name: string) => {
    for (const c of setCookie) if (c.startsWith(`${name}=`)) return c.slice(name.length + 1).split(";")[0];
    return null;
  };
  const trpcData = (r: Answer): unknown => {
    const parsed = JSON.parse(r.body) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string; data?: { code?: string } } } };
    if (parsed.error) throw new TrpcHttpError(parsed.error.json?.data?.code ?? "UNKNOWN", `${r.status} ${parsed.error.json?.message ?? ""}`);
    return parsed.result?.data?.json;
  };

  return {
    pid: child.pid!,
    /** The session cookie of `userId`, signed in as the sign-in page does it (next-auth's demo provider). */
    async signIn(userId: string): Promise<string> {
      const csrf = await send("GET", "/api/auth/csrf", {});
      const csrfCookie = cookie(csrf.setCookie, "authjs.csrf-token");
      const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
      const form = new URLSearchParams({ csrfToken, userId, callbackUrl: "/" }).toString();
      const res = await send(
        "POST",
        "/api/auth/callback/demo",
        { "content-type": "application/x-www-form-urlencoded", cookie: `authjs.csrf-token=${csrfCookie}` },
        form,
      );
      const session = cookie(res.setCookie, "authjs.session-token");
      if (!session) throw new Error(`sign-in of ${userId} gave no session (${res.status} ${res.body.slice(0, 200)})`);
      return `authjs.session-token=${session}`;
    },
    /** A tRPC query as the browser's client sends it (superjson input in the query string). */
    query: async (session: string, proc: string, input: unknown) =>
      trpcData(await send("GET", `/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { cookie: session })),
    mutation: async (session: string, proc: string, input: unknown) =>
      trpcData(await send("POST", `/api/trpc/${proc}`, { cookie: session, "content-type": "application/json" }, JSON.stringify({ json: input }))),
    /** SIGTERM to its process group, then waits for it to exit (so a --cpu-prof profile is written). */
    async stop() {
      agent.destroy();
      if (exited) return;
      const gone = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return;
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
      if (!exited) process.kill(-child.pid!, "SIGKILL");
    },
  };
}
