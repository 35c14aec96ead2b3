// The `pier` CLI (scripts/pier.mjs) run as a child process, as a pipeline runs it, against the real CDEvents route
// module served by a local http server over this file's throw-away database: events land, duplicates are counted,
// a refused event is reported with its line and field, and the errors a pipeline meets say what to do.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { cdevent } from "../../test/support/cdevents-fixtures";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { createIngestToken } from "./ingest-tokens";

const CLI = join(__dirname, "../../scripts/pier.mjs");
const dir = mkdtempSync(join(tmpdir(), "pier-cli-"));
let server: http.Server;
let baseUrl = "";
let token = "";

/** Node's http server in front of the route module: each request becomes the Request the handler takes. */
function serveRoutes(unavailableFor = 0) {
  let unavailable = unavailableFor;
  return http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (unavailable-- > 0) {
      // As a load balancer answers while Pier restarts: a 503 without a body Pier would write.
      res.writeHead(503, { "content-type": "text/plain" }).end("upstream unavailable");
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/api/events/cdevents" || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    const response = await cdeventsPOST(new Request(url, { method: "POST", headers, body: Buffer.concat(chunks) }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

type Run = { code: number | null; stdout: string; stderr: string };
function pier(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, PIER_URL: baseUrl, PIER_TOKEN: token, ...env } as unknown as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort() {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const countStored = (externalIds: string[]) => getDb().inboundEvent.count({ where: { source: "cdevents", externalId: { in: externalIds } } });

beforeAll(async () => {
  await ensureEnvironments();
  await makeService(undefined, "orders");
  token = (await createIngestToken(getDb(), systemActor("test"), "Pipelines")).token;
  server = serveRoutes();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("pier event send", () => {
  it("posts a CDEvent from a file and from standard input; a resend is reported as a duplicate", async () => {
    const file = join(dir, "deployed.json");
    writeFileSync(file, JSON.stringify(cdevent("service.deployed", "0.5", { id: "cli-send-1" })));
    const first = await pier(["event", "send", file]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ duplicate: false });
    expect(await countStored(["cli-send-1"])).toBe(1);

    const again = await pier(["event", "send", "-"], {}, JSON.stringify(cdevent("service.deployed", "0.5", { id: "cli-send-1" })));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ duplicate: true });

    const array = await pier(
      ["event", "send", "-"],
      {},
      JSON.stringify([cdevent("change.merged", "0.4", { id: "cli-send-2" }), cdevent("change.created", "0.5", { id: "cli-send-3" })]),
    );
    expect(array.code).toBe(0);
    expect(JSON.parse(array.stdout)).toMatchObject({ accepted: 2, duplicates: 0 });
  });

  it("shows Pier's 4xx body with the field, and exits non-zero", async () => {
    const bad = cdevent("service.deployed", "0.5", { id: "cli-bad-1" });
    delete (bad.subject as Record<string, unknown>).id;
    const run = await pier(["event", "send", "-"], {}, JSON.stringify(bad));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 400: .*\(field subject/);
    expect(await countStored(["cli-bad-1"])).toBe(0);
  });

  it("says what is wrong: missing token, wrong token, unreachable URL, no command", async () => {
    const noToken = await pier(["event", "send", "-"], { PIER_TOKEN: undefined }, "{}");
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("PIER_TOKEN is not set");

    const wrong = await pier(["event", "send", "-"], { PIER_TOKEN: "pier_ing_wrong" }, JSON.stringify(cdevent("service.deployed")));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("HTTP 401: Send a valid integration token");

    const closed = await closedPort();
    const unreachable = await pier(["event", "send", "-"], { PIER_URL: `http://127.0.0.1:${closed}` }, JSON.stringify(cdevent("service.deployed")));
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach http://127.0.0.1:${closed}/api/events/cdevents: ECONNREFUSED`);

    const usage = await pier([]);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toContain("Usage: pier <command>");
  });
});

describe("pier migration", () => {
  it("emits the migration CDEvent Pier documents, once however often the step is retried", async () => {
    const args = [
      "migration",
      "--service",
      "orders",
      "--environment",
      "prod",
      "--version",
      "2.1.0",
      "--id",
      "20261201_add_refunds",
      "--down",
      "migrate down 20261201_add_refunds",
    ];
    const run = await pier(args);
    expect(run.code).toBe(0);
    const row = await getDb().inboundEvent.findFirstOrThrow({ where: { source: "cdevents", externalId: "migration-orders-prod-2.1.0-20261201_add_refunds" } });
    expect(row.type).toBe("dev.cdeventsx.pier-migration.applied.0.1.0");
    expect(row.payload).toMatchObject({
      subject: {
        content: {
          service: "orders",
          environment: "prod",
          version: "2.1.0",
          migration: { id: "20261201_add_refunds", down: "migrate down 20261201_add_refunds" },
        },
      },
    });
    const retried = await pier(args);
    expect(JSON.parse(retried.stdout)).toMatchObject({ duplicate: true });
  });

  it("refuses to run without a required option", async () => {
    const run = await pier(["migration", "--service", "orders", "--environment", "prod", "--id", "m1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("pier migration needs --version");
  });
});

describe("pier backfill", () => {
  it("streams NDJSON in batches, counts accepted and duplicate, reports each refused event by line and field", async () => {
    // A year of weekly deployments and merges (104 events) plus one event missing subject.id and one line that is not
    // JSON; two of the events were already sent, so they come back as duplicates.
    const events = Array.from({ length: 52 }, (_, w) => {
      const day = new Date(Date.UTC(2025, 11, 1) + w * 7 * 86_400_000).toISOString();
      return [
        cdevent("change.merged", "0.5", { id: `bf-change-${w}`, timestamp: day }),
        cdevent("service.deployed", "0.5", { id: `bf-deploy-${w}`, timestamp: day }),
      ];
    }).flat();
    const broken = cdevent("service.deployed", "0.5", { id: "bf-broken" });
    delete (broken.subject as Record<string, unknown>).id;
    const lines = events.map((e) => JSON.stringify(e));
    lines.splice(30, 0, JSON.stringify(broken));
    lines.splice(70, 0, "{not json");
    const file = join(dir, "history.ndjson");
    writeFileSync(file, lines.join("\n") + "\n");
    expect((await pier(["event", "send", "-"], {}, JSON.stringify(events.slice(0, 2)))).code).toBe(0);

    const run = await pier(["backfill", file, "--batch-size", "25", "--concurrency", "3"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("backfill: 102 accepted, 2 duplicate, 2 refused (106 lines read");
    expect(run.stdout).toMatch(/refused line 31 \(id bf-broken\) field subject\.id: /);
    expect(run.stdout).toMatch(/refused line 71: not JSON/);
    expect(run.stderr).toMatch(/progress: \d+ events sent \(all through line \d+\)/);
    expect(run.stderr).toContain("(all through line 106)");
    expect(await countStored(events.map((e) => e.context.id as string))).toBe(104);
    expect(await countStored(["bf-broken"])).toBe(0);

    // Sent again, everything is a duplicate and nothing is refused but the same two lines.
    const resend = await pier(["backfill", file, "--skip", "71"]);
    expect(resend.stdout).toContain("backfill: 0 accepted, 35 duplicate, 0 refused");
    expect(resend.code).toBe(0);
  });

  it("halves a batch Pier refuses as too large (413) until it fits, losing nothing", async () => {
    // 60 events of ~20 KB: one request of 1.2 MB is over Pier's 1 MB limit; halves of 600 KB are under it.
    const events = Array.from({ length: 60 }, (_, i) => ({
      ...cdevent("service.deployed", "0.5", { id: `bf-large-${i}` }),
      customData: { log: "x".repeat(20_000) },
    }));
    const file = join(dir, "large.ndjson");
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join("\n"));
    const run = await pier(["backfill", file, "--batch-size", "60"]);
    expect(run.stdout).toContain("backfill: 60 accepted, 0 duplicate, 0 refused");
    expect(run.code).toBe(0);
    expect(await countStored(events.map((e) => e.context.id as string))).toBe(60);
  });

  it("retries a batch answered 503 and still delivers it", async () => {
    const flaky = serveRoutes(1);
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    try {
      const file = join(dir, "retry.ndjson");
      writeFileSync(file, [0, 1, 2].map((i) => JSON.stringify(cdevent("change.merged", "0.5", { id: `bf-retry-${i}` }))).join("\n"));
      const run = await pier(["backfill", file], { PIER_URL: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}` });
      expect(run.stdout).toContain("backfill: 3 accepted, 0 duplicate, 0 refused");
      expect(run.code).toBe(0);
      expect(await countStored(["bf-retry-0", "bf-retry-1", "bf-retry-2"])).toBe(3);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it("refuses an unreadable file and bad options before sending anything", async () => {
    const missing = await pier(["backfill", join(dir, "nope.ndjson")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
    const big = await pier(["backfill", join(dir, "nope.ndjson"), "--batch-size", "1000"]);
    expect(big.stderr).toContain("--batch-size must be 1–500");
  });
});
