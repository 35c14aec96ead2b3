import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { getDb } from "../../db";
import { encryptJson } from "../../platform/secrets";
import { uid } from "../../../test/support/factories";
import { as, makeWorld, requestInput, type World } from "../../../test/support/deployment-world";
import { runDeployment } from "../execution";
import { applyGithubRunUpdate, applyWebhookCallback } from "../external-status";
import { signBody, verifyBodySignature } from "./webhook-signature";
import { SHARED_FIXTURES } from "../../../test/support/shared-fixtures";

const FIXTURES = SHARED_FIXTURES;
type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: string };
type Handler = (req: Seen, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A local stand-in for the vendor: records each request and answers through `handler`. */
async function fakeVendor(handler: Handler) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  const port = (server.address() as { port: number }).port;
  await getDb().outboundAllowEntry.upsert({
    where: { pattern: `127.0.0.1:${port}` },
    update: {},
    create: { pattern: `127.0.0.1:${port}`, reason: "test fake" },
  });
  return { seen, base: `http://127.0.0.1:${port}` };
}

async function integration(kind: string, settings: object, secret: object) {
  const name = `${kind}-${uid()}`;
  await getDb().integration.create({ data: { name, kind, settings, secretEncrypted: encryptJson(secret) } });
  return name;
}

async function queued(w: World, version: string) {
  const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", version));
  return id;
}
const status = async (id: string) => (await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } })).status;
const noSleep = { sleep: async () => undefined };

describe("generic webhook executor", () => {
  it("sends a signed POST, then takes the signed callback; forged callbacks are refused", async () => {
    const secret = "whsec-" + uid();
    const vendor = await fakeVendor((req, res) => {
      const ok = verifyBodySignature(secret, req.headers["x-pier-timestamp"] as string, req.body, req.headers["x-pier-signature-256"] as string);
      res.writeHead(ok.ok ? 202 : 401, { "content-type": "application/json" }).end(JSON.stringify(ok.ok ? { runId: "job-77" } : { error: ok }));
    });
    const name = await integration("webhook", { url: `${vendor.base}/deploy` }, { signingSecret: secret });
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executor: "webhook", executorConfig: { integration: name } });
    const id = await queued(w, "1.1.0");
    expect(await runDeployment(getDb(), id, noSleep)).toMatchObject({ outcome: "pending", externalRunId: "job-77" });
    const sent = vendor.seen[0];
    expect(sent).toMatchObject({ method: "POST", url: "/deploy" });
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers["x-pier-delivery"]).toBe(`${id}:1`);
    expect(JSON.parse(sent.body)).toMatchObject({
      event: "deployment.execute",
      requestId: id,
      version: "1.1.0",
      previousVersion: "1.0.0",
      service: w.service.slug,
      environment: "dev",
      callbackUrl: expect.stringMatching(/\/api\/deployments\/callback$/),
    });
    expect(await status(id)).toBe("deploying");

    const callback = async (payload: object, signWith = secret, ts = String(Math.floor(Date.now() / 1000))) => {
      const body = JSON.stringify(payload);
      return applyWebhookCallback(getDb(), body, { timestamp: ts, signature: signBody(signWith, ts, body) });
    };
    await expect(callback({ requestId: id, status: "succeeded" }, "wrong-secret")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(callback({ requestId: id, status: "succeeded" }, secret, String(Math.floor(Date.now() / 1000) - 3600))).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringMatching(/too old/),
    });
    await expect(callback({ requestId: id, status: "bogus" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // The signature is checked before the body is read: unsigned garbage is a 401, signed garbage a 400.
    await expect(applyWebhookCallback(getDb(), "{not json", { timestamp: null, signature: null })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const ts = String(Math.floor(Date.now() / 1000));
    await expect(applyWebhookCallback(getDb(), "{not json", { timestamp: ts, signature: signBody(secret, ts, "{not json") })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await callback({ requestId: id, status: "running", progress: 40, message: "2 of 5 pods" })).toMatchObject({ outcome: "running" });
    expect((await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } })).progress).toBe(40);
    expect(await callback({ requestId: id, status: "succeeded", message: "done" })).toMatchObject({ outcome: "succeeded" });
    expect(await status(id)).toBe("succeeded");
    // A repeated callback is harmless.
    expect(await callback({ requestId: id, status: "failed" })).toMatchObject({ outcome: "ignored" });
    expect(await status(id)).toBe("succeeded");
  });

  it("fails the run when the endpoint refuses, and refuses URLs that are not allow-listed", async () => {
    const vendor = await fakeVendor((_req, res) => res.writeHead(500).end("boom"));
    const name = await integration("webhook", { url: `${vendor.base}/deploy` }, { signingSecret: "s" });
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executor: "webhook", executorConfig: { integration: name } });
    expect(await runDeployment(getDb(), await queued(w, "1.1.0"), noSleep)).toMatchObject({
      outcome: "failed",
      message: expect.stringMatching(/HTTP 500: boom/),
    });
    const blocked = await integration("webhook", { url: "http://10.1.2.3/deploy" }, { signingSecret: "s" });
    await getDb().serviceEnvironment.updateMany({ where: { serviceId: w.service.id }, data: { executorConfig: { integration: blocked } } });
    expect(await runDeployment(getDb(), await queued(w, "1.2.0"), noSleep)).toMatchObject({
      outcome: "failed",
      message: expect.stringMatching(/Refusing to call/),
    });
    await getDb().serviceEnvironment.updateMany({ where: { serviceId: w.service.id }, data: { executorConfig: { integration: "missing" } } });
    expect(await runDeployment(getDb(), await queued(w, "1.3.0"), noSleep)).toMatchObject({
      outcome: "failed",
      message: expect.stringMatching(/does not exist/),
    });
  });

  it("refuses every spelling of a loopback or metadata address, even when 127.0.0.1 on that port is allow-listed", async () => {
    const vendor = await fakeVendor((_req, res) => res.writeHead(202).end("{}"));
    const port = new URL(vendor.base).port;
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executor: "webhook", executorConfig: { integration: "none" } });
    const hosts = [`[::ffff:127.0.0.1]:${port}`, `[::127.0.0.1]:${port}`, "[64:ff9b::a9fe:a9fe]", "[::ffff:169.254.169.254]", "0x7f.1", "2130706433"];
    for (const [i, host] of hosts.entries()) {
      const name = await integration("webhook", { url: `https://${host}/deploy` }, { signingSecret: "s" });
      await getDb().serviceEnvironment.updateMany({ where: { serviceId: w.service.id }, data: { executorConfig: { integration: name } } });
      expect(await runDeployment(getDb(), await queued(w, `2.0.${i}`), noSleep)).toMatchObject({
        outcome: "failed",
        message: expect.stringMatching(/Refusing to call .*resolves to a (loopback|IPv4-compatible|link-local)/),
      });
    }
    expect(vendor.seen).toHaveLength(0);
  });
});

describe("GitHub Actions executor", () => {
  const workflowRun = JSON.parse(readFileSync(path.join(FIXTURES, "github-webhooks/workflow_run.completed.payload.json"), "utf8"));
  const deploymentStatus = JSON.parse(readFileSync(path.join(FIXTURES, "github-webhooks/deployment_status.payload.json"), "utf8"));

  async function setup(answer: (req: Seen, res: ServerResponse) => void) {
    const vendor = await fakeVendor(answer);
    const name = await integration("github_actions", { owner: "octo-org", repo: "octo-repo", apiUrl: vendor.base }, { token: "ghp_test" });
    const w = await makeWorld({
      policies: { dev: { requiredApprovals: 0 } },
      executor: "github_actions",
      executorConfig: { integration: name, workflow: "deploy.yml", ref: "main" },
    });
    return { vendor, w };
  }

  it("dispatches the workflow (204), then matches the workflow_run webhook by run-name", async () => {
    const { vendor, w } = await setup((_req, res) => res.writeHead(204).end());
    const id = await queued(w, "1.1.0");
    expect(await runDeployment(getDb(), id, noSleep)).toMatchObject({ outcome: "pending", externalRunId: null });
    const sent = vendor.seen[0];
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe("/repos/octo-org/octo-repo/actions/workflows/deploy.yml/dispatches");
    expect(sent.headers.authorization).toBe("Bearer ghp_test");
    expect(sent.headers.accept).toBe("application/vnd.github+json");
    expect(sent.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(JSON.parse(sent.body)).toEqual({ ref: "main", inputs: { pier_request_id: id, version: "1.1.0", environment: "dev", strategy: "rolling" } });

    const inProgress = {
      ...workflowRun,
      action: "in_progress",
      workflow_run: { ...workflowRun.workflow_run, status: "in_progress", conclusion: null, display_title: `Pier deploy ${id}` },
    };
    expect(await applyGithubRunUpdate(getDb(), inProgress)).toEqual({ requestId: id, outcome: "running" });
    expect((await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } })).externalRunId).toBe(String(workflowRun.workflow_run.id));
    // From now on the run id matches, whatever the title.
    expect(await applyGithubRunUpdate(getDb(), workflowRun)).toEqual({ requestId: id, outcome: "succeeded" });
    expect(await status(id)).toBe("succeeded");
    expect(await applyGithubRunUpdate(getDb(), workflowRun)).toEqual({ requestId: null, outcome: "unmatched" });
    expect(await applyGithubRunUpdate(getDb(), { zen: "ping" })).toEqual({ requestId: null, outcome: "ignored" });
  });

  it("accepts the 200-with-run-id answer; a failed conclusion fails the run; deployment_status works too", async () => {
    let runId = 900;
    const { w } = await setup((_req, res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ workflow_run_id: ++runId, run_url: "x", html_url: `https://github.com/octo-org/octo-repo/actions/runs/${runId}` })),
    );
    const a = await queued(w, "1.1.0");
    expect(await runDeployment(getDb(), a, noSleep)).toMatchObject({ outcome: "pending", externalRunId: "901" });
    const failed = { ...workflowRun, workflow_run: { ...workflowRun.workflow_run, id: 901, conclusion: "failure" } };
    expect(await applyGithubRunUpdate(getDb(), failed)).toEqual({ requestId: a, outcome: "failed" });
    expect(await status(a)).toBe("failed");

    const b = await queued(w, "1.2.0");
    await runDeployment(getDb(), b, noSleep);
    const ds = {
      ...deploymentStatus,
      deployment_status: { ...deploymentStatus.deployment_status, state: "success", target_url: "https://github.com/octo-org/octo-repo/actions/runs/902" },
    };
    expect(await applyGithubRunUpdate(getDb(), ds)).toEqual({ requestId: b, outcome: "succeeded" });
    const c = await queued(w, "1.3.0");
    await runDeployment(getDb(), c, noSleep);
    const byPayload = {
      ...deploymentStatus,
      deployment: { ...deploymentStatus.deployment, payload: { pier_request_id: c } },
      deployment_status: { ...deploymentStatus.deployment_status, state: "failure", target_url: null },
    };
    expect(await applyGithubRunUpdate(getDb(), byPayload)).toEqual({ requestId: c, outcome: "failed" });
  });

  it("a refused dispatch fails the run with GitHub's message", async () => {
    const { w } = await setup((_req, res) => res.writeHead(422, { "content-type": "application/json" }).end('{"message":"Unexpected inputs provided"}'));
    expect(await runDeployment(getDb(), await queued(w, "1.1.0"), noSleep)).toMatchObject({
      outcome: "failed",
      message: expect.stringMatching(/HTTP 422.*Unexpected inputs/),
    });
  });
});

describe("Argo CD executor", () => {
  const app = parseYaml(readFileSync(path.join(FIXTURES, "argocd/application.yaml"), "utf8"));

  it("retries while another operation runs, syncs, polls until synced and healthy", async () => {
    let syncCalls = 0;
    let polls = 0;
    let startedAt = "";
    const vendor = await fakeVendor((req, res) => {
      if (req.method === "POST" && req.url === "/api/v1/applications/checkout/sync") {
        syncCalls++;
        if (syncCalls === 1) {
          res
            .writeHead(400, { "content-type": "application/json" })
            .end(JSON.stringify({ error: "another operation is already in progress", code: 9, message: "another operation is already in progress" }));
          return;
        }
        startedAt = new Date().toISOString();
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(app));
        return;
      }
      if (req.method === "GET" && req.url === "/api/v1/applications/checkout") {
        polls++;
        const phase = polls < 2 ? "Running" : "Succeeded";
        const health = polls < 2 ? "Progressing" : "Healthy";
        const body = {
          ...app,
          status: {
            ...app.status,
            health: { status: health },
            sync: { ...app.status.sync, status: polls < 2 ? "OutOfSync" : "Synced" },
            operationState: { ...app.status.operationState, phase, startedAt },
          },
        };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
        return;
      }
      res.writeHead(404).end();
    });
    const name = await integration("argocd", { baseUrl: vendor.base }, { token: "argo-token" });
    const w = await makeWorld({
      policies: { dev: { requiredApprovals: 0 } },
      executor: "argocd",
      executorConfig: { integration: name, application: "checkout", pollIntervalMs: 1, syncOptions: ["CreateNamespace=true"] },
    });
    const id = await queued(w, "1.1.0");
    expect(await runDeployment(getDb(), id)).toMatchObject({ outcome: "succeeded", message: "checkout synced and healthy" });
    const sync = vendor.seen.filter((s) => s.method === "POST");
    expect(sync).toHaveLength(2);
    expect(sync[1].headers.authorization).toBe("Bearer argo-token");
    expect(JSON.parse(sync[1].body)).toEqual({
      revision: "1.1.0",
      prune: false,
      dryRun: false,
      strategy: { hook: {} },
      syncOptions: { items: ["CreateNamespace=true"] },
    });
    const logs = (await getDb().deploymentLog.findMany({ where: { requestId: id }, orderBy: { id: "asc" } })).map((l) => l.message);
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/busy with another operation/),
        "operation Running, sync OutOfSync, health Progressing",
        "operation Succeeded, sync Synced, health Healthy",
      ]),
    );
  });

  it("fails on a failed operation, and when Argo CD stays busy", async () => {
    let startedAt = "";
    const vendor = await fakeVendor((req, res) => {
      if (req.method === "POST" && req.url?.startsWith("/api/v1/applications/busy/")) {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":"another operation is already in progress","code":9}');
        return;
      }
      if (req.method === "POST") {
        startedAt = new Date().toISOString();
        res.writeHead(200).end("{}");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          status: { health: { status: "Degraded" }, operationState: { phase: "Failed", message: "one or more objects failed to apply", startedAt } },
        }),
      );
    });
    const name = await integration("argocd", { baseUrl: vendor.base }, { token: "t" });
    const w = await makeWorld({
      policies: { dev: { requiredApprovals: 0 } },
      executor: "argocd",
      executorConfig: { integration: name, application: "checkout", pollIntervalMs: 1 },
    });
    expect(await runDeployment(getDb(), await queued(w, "1.1.0"))).toMatchObject({
      outcome: "failed",
      message: "Argo CD sync failed: one or more objects failed to apply",
    });
    await getDb().serviceEnvironment.updateMany({
      where: { serviceId: w.service.id },
      data: { executorConfig: { integration: name, application: "busy", pollIntervalMs: 1, busyRetries: 2 } },
    });
    expect(await runDeployment(getDb(), await queued(w, "1.2.0"))).toMatchObject({
      outcome: "failed",
      message: expect.stringMatching(/kept another operation running/),
    });
  });
});
