// The container artifact, as far as it can be checked without a Docker engine (none here, nor a registry):
// - the Dockerfile's runtime stage is what the README promises (slim Node 20, non-root, HEALTHCHECK on
//   /api/health, only the standalone server + static + public + migrations + bundles copied in);
// - the bundles it runs are real: scripts/build-workers.mjs is run into an image-like layout and the worker
//   bundle starts against this test's Postgres/Redis, answers its liveness port and drains on SIGTERM; the
//   migration bundle migrates a fresh database;
// - docker-compose.yml runs that image as the full stack, and its proxy balances over exactly the web replicas.
// The standalone web server itself is started and asked /api/health by scripts/test.sh after `next build`.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseEnv } from "../server/env";
import { databaseUrl, withAdmin } from "./support/test-databases";

const root = path.join(__dirname, "..");
const read = (f: string) => readFileSync(path.join(root, f), "utf8");

type Instruction = { op: string; args: string };
type Stage = { from: string; name?: string; instructions: Instruction[] };

/** Dockerfile → stages of instructions (comments dropped, `\` continuations joined, ARG defaults substituted in FROM). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.split("\n").filter((l) => !/^\s*#/.test(l));
  const joined = lines.join("\n").replace(/\\\n/g, " ");
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of joined.split("\n")) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const rest = m[2].trim();
    if (op === "ARG" && stages.length === 0) {
      const [k, v] = rest.split("=");
      args[k] = v ?? "";
    } else if (op === "FROM") {
      const [image, , name] = rest.split(/\s+/);
      stages.push({ from: image.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? ""), name, instructions: [] });
    } else stages.at(-1)?.instructions.push({ op, args: rest });
  }
  return stages;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe("Dockerfile", () => {
  const stages = parseDockerfile(read("Dockerfile"));
  const runtime = stages.at(-1)!;
  const ops = (op: string) => runtime.instructions.filter((i) => i.op === op);

  it("builds in stages and runs as a non-root user on slim Node 20", () => {
    expect(stages.map((s) => s.name)).toEqual(["deps", "build", "runtime"]);
    expect(runtime.from).toMatch(/^node:20[\w.-]*-slim$/);
    const user = ops("USER").at(-1)?.args ?? "";
    expect(user).not.toBe("");
    expect(user.split(":")[0]).not.toMatch(/^(0|root)$/);
    // The uid the image runs as is the one the Kubernetes manifests require (runAsUser).
    expect(read("deploy/base/web.yaml")).toContain(`runAsUser: ${user.split(":")[0]}`);
  });

  it("copies only the standalone server, static assets, public/, migrations and the bundles into the runtime image", () => {
    const copies = ops("COPY").map((c) => c.args.split(/\s+/));
    expect(copies.every((c) => c[0] === "--from=build")).toBe(true);
    expect(copies.map((c) => c[1]).sort()).toEqual(["/app/.next/standalone", "/app/.next/static", "/app/dist", "/app/prisma/migrations", "/app/public"]);
    expect(ops("RUN").some((r) => /npm|tsx/.test(r.args))).toBe(false);
    // What the runtime stage copies is what the build stage makes: next build + the bundle script.
    const build = stages.find((s) => s.name === "build")!;
    expect(build.instructions.some((i) => i.op === "RUN" && i.args.includes("next build") && i.args.includes("scripts/build-workers.mjs"))).toBe(true);
    expect(read("next.config.ts")).toMatch(/output:\s*"standalone"/);
    // Neither secrets nor host build output reach the build context.
    const ignored = read(".dockerignore").split("\n");
    for (const entry of ["node_modules", ".next", "dist", "generated", ".env*", ".git"]) expect(ignored).toContain(entry);
  });

  it("checks its health on /api/health and starts the web server by default", () => {
    const health = ops("HEALTHCHECK");
    expect(health).toHaveLength(1);
    expect(health[0].args).toMatch(/CMD .*\/api\/health'/);
    expect(JSON.parse(ops("CMD").at(-1)!.args)).toEqual(["node", "server.js"]);
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(read("docker-compose.yml"), { merge: true }) as { services: Record<string, Record<string, unknown>> };
  const services = compose.services;

  it("runs Postgres, Redis, a one-shot migration, two web replicas behind the proxy and two workers", () => {
    expect(Object.keys(services).sort()).toEqual(["migrate", "postgres", "proxy", "redis", "seed", "web-1", "web-2", "worker-1", "worker-2"]);
    for (const name of ["web-1", "web-2", "worker-1", "worker-2"]) {
      expect(services[name].image).toBe(services.migrate.image);
      expect(services[name].depends_on).toMatchObject({ migrate: { condition: "service_completed_successfully" } });
    }
    expect(services.migrate.command).toEqual(["node", "dist/migrate.cjs"]);
    for (const w of ["worker-1", "worker-2"]) {
      expect(services[w].command).toEqual(["node", "dist/workers.cjs"]);
      expect((services[w].environment as Record<string, string>).PIER_WORKER_HEALTH_PORT).toBe("8081");
      // Same drain budget as Kubernetes' terminationGracePeriodSeconds.
      expect(services[w].stop_grace_period).toBe("40s");
    }
    // BullMQ needs Redis never to evict its keys.
    expect((services.redis.command as string[]).join(" ")).toContain("--maxmemory-policy noeviction");
    // Secrets come from the environment (.env), required, never a literal in the file.
    const env = services["web-1"].environment as Record<string, string>;
    expect(env.AUTH_SECRET).toMatch(/^\$\{AUTH_SECRET:\?/);
    expect(env.PIER_ENCRYPTION_KEY).toMatch(/^\$\{PIER_ENCRYPTION_KEY:\?/);
    // Filled in the way compose interpolates (required ones from .env, the rest their defaults), every service's
    // environment is a valid production configuration.
    const key = randomBytes(32).toString("base64");
    for (const name of ["migrate", "web-1", "worker-1"]) {
      const filled = Object.fromEntries(
        Object.entries(services[name].environment as Record<string, string>).map(([k, v]) => [
          k,
          String(v).replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_, _name: string, fallback?: string) => fallback ?? key),
        ]),
      );
      expect(parseEnv(filled).NODE_ENV, name).toBe("production");
    }
  });

  it("balances the proxy over exactly the web replicas", () => {
    const upstream = /upstream pier_web \{([^}]*)\}/.exec(read("deploy/compose/nginx.conf"))![1];
    const servers = [...upstream.matchAll(/server ([\w-]+):(\d+)/g)].map((m) => m[1]);
    expect(servers).toEqual(Object.keys(services).filter((s) => s.startsWith("web-")));
    expect((services.proxy.volumes as string[])[0]).toMatch(/^\.\/deploy\/compose\/nginx\.conf:/);
  });
});

describe("the image's bundles (scripts/build-workers.mjs)", () => {
  // Laid out as in the image: /app/dist/*.cjs beside /app/prisma/migrations.
  const app = mkdtempSync(path.join(tmpdir(), "pier-image-"));
  const children: ChildProcess[] = [];
  const freshDb = `pier_bundle_${Math.random().toString(36).slice(2, 8)}`;

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(app, { recursive: true, force: true });
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${freshDb}" WITH (FORCE)`));
  });

  // As in the image: production mode, with the secrets production requires.
  const production = {
    PATH: process.env.PATH,
    NODE_ENV: "production" as const,
    AUTH_SECRET: randomBytes(32).toString("base64"),
    PIER_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    PIER_AUDIT_CHECKPOINT_KEY: randomBytes(32).toString("base64"),
  };

  it("bundle the workers and the migration runner so they run with plain node, no node_modules", async () => {
    execFileSync(process.execPath, [path.join(root, "scripts", "build-workers.mjs"), path.join(app, "dist")], { cwd: root, stdio: "pipe" });
    symlinkSync(path.join(root, "prisma"), path.join(app, "prisma"));
    for (const f of ["workers.cjs", "migrate.cjs", "seed.cjs"]) expect(existsSync(path.join(app, "dist", f))).toBe(true);

    // The migration bundle creates and migrates a fresh database.
    const out = execFileSync(process.execPath, [path.join(app, "dist", "migrate.cjs")], {
      cwd: app,
      env: { ...production, DATABASE_URL: databaseUrl(freshDb) },
      encoding: "utf8",
    });
    expect(out).toMatch(/created database[\s\S]*migrations: [1-9]\d* applied, 0 already applied/);

    // The worker bundle starts, reports live on its health port, and exits 0 after draining on SIGTERM.
    const port = await freePort();
    const worker = spawn(process.execPath, [path.join(app, "dist", "workers.cjs")], {
      cwd: app,
      env: {
        ...production,
        DATABASE_URL: process.env.DATABASE_URL,
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: process.env.REDIS_PREFIX,
        PIER_WORKER_HEALTH_PORT: String(port),
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(worker);
    let logs = "";
    worker.stdout!.on("data", (d: Buffer) => (logs += d.toString()));
    worker.stderr!.on("data", (d: Buffer) => (logs += d.toString()));
    const deadline = Date.now() + 20_000;
    let health: { status: string; workers: unknown[] } | undefined;
    while (!health && Date.now() < deadline) {
      health = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => (r.ok ? r.json() : undefined),
        () => undefined,
      );
      if (!health) await new Promise((r) => setTimeout(r, 200));
    }
    expect(health, logs).toMatchObject({ status: "ok" });
    expect(health!.workers.length).toBeGreaterThan(3);
    // The bundle keeps module order: the process name is set before the logger starts.
    expect(logs).toContain('"service":"pier-worker"');
    const exited = new Promise<number | null>((resolve) => worker.on("exit", (code) => resolve(code)));
    worker.kill("SIGTERM");
    expect(await exited, logs).toBe(0);
    expect(logs).toContain("workers stopped");
  }, 90_000);
});
