// `npm test` (scripts/test.sh, after `next build`): the web server the container image runs, started the way the
// image starts it. Lays out .next/standalone as the Dockerfile does (.next/static and public/ copied beside
// server.js), starts `node .next/standalone/server.js` on a free port with the caller's environment (the e2e
// database and Redis), and checks: /api/health answers 200 (Postgres and Redis reached), /api/health/live answers
// 200, the sign-in page renders and a static chunk it references is served. Exits non-zero naming what failed.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const standalone = path.join(root, ".next", "standalone");
if (!existsSync(path.join(standalone, "server.js"))) {
  console.error('✗ standalone: .next/standalone/server.js is missing (next.config.ts output: "standalone"?)');
  process.exit(1);
}
for (const [from, to] of [
  [path.join(root, ".next", "static"), path.join(standalone, ".next", "static")],
  [path.join(root, "public"), path.join(standalone, "public")],
]) {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const log = path.join(root, "test-results", "standalone.log");
const server = spawn(process.execPath, [path.join(standalone, "server.js")], {
  cwd: standalone,
  env: {
    ...process.env,
    // Production mode (server.js sets it anyway) with the secrets production requires; no demo sign-in.
    NODE_ENV: "production",
    AUTH_SECRET: process.env.AUTH_SECRET || randomBytes(32).toString("base64"),
    PIER_ENCRYPTION_KEY: process.env.PIER_ENCRYPTION_KEY || randomBytes(32).toString("base64"),
    PIER_AUDIT_CHECKPOINT_KEY: process.env.PIER_AUDIT_CHECKPOINT_KEY || randomBytes(32).toString("base64"),
    PIER_DEMO_LOGIN: "false",
    PORT: String(port),
    HOSTNAME: "127.0.0.1",
  },
  stdio: ["ignore", openSync(log, "w"), openSync(log, "a")],
});
const base = `http://127.0.0.1:${port}`;
const problems = [];
const started = Date.now();
try {
  let health;
  while (Date.now() - started < 30_000 && server.exitCode === null) {
    health = await fetch(`${base}/api/health`).catch(() => undefined);
    if (health?.status === 200) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (health?.status !== 200) problems.push(`/api/health answered ${health ? `${health.status} ${await health.text()}` : "nothing"} (log: ${log})`);
  else console.log(`standalone server: /api/health 200 after ${((Date.now() - started) / 1000).toFixed(1)} s → ${await health.text()}`);

  const live = await fetch(`${base}/api/health/live`).catch(() => undefined);
  if (live?.status !== 200) problems.push(`/api/health/live answered ${live?.status ?? "nothing"}`);

  const page = await fetch(`${base}/signin`).catch(() => undefined);
  const html = page?.status === 200 ? await page.text() : "";
  const chunk = /\/_next\/static\/[^"']+\.js/.exec(html)?.[0];
  if (!chunk) problems.push(`/signin answered ${page?.status ?? "nothing"} without a /_next/static script`);
  else {
    const asset = await fetch(`${base}${chunk}`).catch(() => undefined);
    if (asset?.status !== 200) problems.push(`${chunk} answered ${asset?.status ?? "nothing"} (.next/static not beside server.js?)`);
  }
} finally {
  server.kill("SIGTERM");
}
if (problems.length) {
  for (const p of problems) console.error(`✗ standalone: ${p}`);
  process.exit(1);
}
console.log("✓ standalone server answers /api/health, /api/health/live, /signin and its static assets");
