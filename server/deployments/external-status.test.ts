// The generic webhook executor's callback under hostile input (issue 12): the body is read with a byte limit (a
// 30 MB anonymous body is cut off, not read whole), and the signature is verified before the request is looked up,
// so an unsigned caller cannot tell an existing request id from a made-up one.
import { describe, expect, it } from "vitest";
import { POST as callbackPOST } from "@/app/api/deployments/callback/route";
import { getDb } from "../db";
import { encryptJson } from "../platform/secrets";
import { makeWorld, requestInput } from "../../test/support/deployment-world";
import { callerFor, uid } from "../../test/support/factories";
import { signBody } from "./executors/webhook-signature";

const SECRET = "callback-secret-for-tests";
const OTHER_SECRET = "another-systems-callback-secret";
const name = `deploy-hook-${uid()}`;
await getDb().integration.create({
  data: { name, kind: "webhook", settings: { url: "https://deploy.example/hook" }, secretEncrypted: encryptJson({ signingSecret: SECRET }) },
});
await getDb().integration.create({
  data: {
    name: `${name}-other`,
    kind: "webhook",
    settings: { url: "https://other.example/hook" },
    secretEncrypted: encryptJson({ signingSecret: OTHER_SECRET }),
  },
});
const world = await makeWorld({ executor: "webhook", executorConfig: { integration: name } });
const { id: requestId } = await (await callerFor(world.developer.id)).deployments.create(requestInput(world, "dev", "2.0.0"));

const send = (body: string, headers: Record<string, string> = {}) =>
  callbackPOST(new Request("http://pier.test/api/deployments/callback", { method: "POST", body, headers }));
const signed = (body: string, secret = SECRET) => {
  const ts = String(Math.floor(Date.now() / 1000));
  return send(body, { "x-pier-timestamp": ts, "x-pier-signature-256": signBody(secret, ts, body) });
};

describe("POST /api/deployments/callback", () => {
  it("cuts a 30 MB anonymous body off at 64 KB instead of reading it whole", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(16 * 1024).fill(120);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += chunk.byteLength;
        if (pulled > 30 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    const res = await callbackPOST(new Request("http://pier.test/api/deployments/callback", { method: "POST", body, duplex: "half" } as RequestInit));
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(256 * 1024);
  });

  it("verifies the signature before looking the request up: existing and made-up ids get the same 401", async () => {
    const real = await send(JSON.stringify({ requestId, status: "failed" }), { "x-pier-timestamp": "1", "x-pier-signature-256": "sha256=00" });
    const madeUp = await send(JSON.stringify({ requestId: "no-such-request", status: "failed" }), {
      "x-pier-timestamp": "1",
      "x-pier-signature-256": "sha256=00",
    });
    expect(real.status).toBe(401);
    expect(madeUp.status).toBe(401);
    expect(await real.json()).toEqual(await madeUp.json());
    expect((await getDb().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).not.toBe("failed");
  });

  it("takes a report only from the integration configured for that request", async () => {
    const other = await signed(JSON.stringify({ requestId, status: "failed" }), OTHER_SECRET);
    expect(other.status).toBe(404);
    const bad = await signed(JSON.stringify({ requestId, status: "running", message: "x\u0000y" }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: "message" });
    const ok = await signed(JSON.stringify({ requestId, status: "running", progress: 10 }));
    expect(ok.status).toBe(200);
  });
});
