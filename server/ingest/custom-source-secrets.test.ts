// Custom-source secret rotation through the real route handler (POST /api/webhooks/custom/<slug>, real Postgres +
// Redis): while two secrets are active both authenticate (bearer and HMAC sources), the old one is refused once
// retired, a third is refused while two are active, a retire with one active is refused, and only admins may rotate.
// The body is a real delivery (fixtures/gitlab/deployment.json) standing in for any tool's JSON.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as customPOST } from "@/app/api/webhooks/custom/[slug]/route";
import { getDb } from "../db";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { ensureEnvironments } from "../../test/support/dora-fixtures";
import { callerFor, callerWithRole } from "../../test/support/factories";

const DEPLOYMENT = JSON.parse(readFileSync(path.join(SHARED_FIXTURES, "gitlab", "deployment.json"), "utf8")) as Record<string, unknown>;
const MAPPING = `{
  "context": { "specversion": "0.5.1", "id": "rot-" & $string(deployment_id), "source": project.web_url,
    "type": "dev.cdevents.service.deployed.0.3.0", "timestamp": "2024-01-01T00:00:00Z" },
  "subject": { "id": "service/" & project.name, "source": project.web_url,
    "content": { "environment": { "id": environment }, "artifactId": "pkg:generic/" & project.name & "@" & short_sha } }
}`;
const OLD = "old-secret-0123456789abcdef";
const NEW = "new-secret-0123456789abcdef";

let n = 0;
const body = () => JSON.stringify({ ...DEPLOYMENT, deployment_id: 9_000_000 + ++n });
const post = (slug: string, b: string, headers: Record<string, string>) =>
  customPOST(
    new Request(`http://pier.test/api/webhooks/custom/${slug}`, { method: "POST", body: b, headers: { "content-type": "application/json", ...headers } }),
    {
      params: Promise.resolve({ slug }),
    },
  );
const asBearer = (secret: string) => post("rotating-bearer", body(), { authorization: `Bearer ${secret}` });
const asHmac = (secret: string) => {
  const b = body();
  return post("rotating-hmac", b, { "x-signature": `sha256=${createHmac("sha256", secret).update(b).digest("hex")}` });
};

let admin: Awaited<ReturnType<typeof callerWithRole>>["caller"];
const ids: Record<string, string> = {};

beforeAll(async () => {
  await ensureEnvironments();
  admin = (await callerWithRole("admin")).caller;
  ids.bearer = (
    await admin.events.createCustomSource({ slug: "rotating-bearer", name: "Rotating bearer", authType: "bearer", secret: OLD, expression: MAPPING })
  ).id;
  ids.hmac = (
    await admin.events.createCustomSource({
      slug: "rotating-hmac",
      name: "Rotating HMAC",
      authType: "hmac",
      settings: { header: "X-Signature", algorithm: "sha256", encoding: "hex", prefix: "sha256=" },
      secret: OLD,
      expression: MAPPING,
    })
  ).id;
});

describe("custom source secret rotation", () => {
  it("only admins may add or retire a secret", async () => {
    await expect((await callerFor(null)).events.addCustomSourceSecret({ sourceId: ids.bearer, secret: NEW })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    await expect(caller.events.addCustomSourceSecret({ sourceId: ids.bearer, secret: NEW })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.events.retireOldCustomSourceSecret({ sourceId: ids.bearer })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  for (const [kind, send] of [
    ["bearer", asBearer],
    ["hmac", asHmac],
  ] as const) {
    it(`${kind}: old and new both accepted during rotation; the old refused once retired`, async () => {
      expect((await send(OLD)).status).toBe(202);
      expect((await send(NEW)).status).toBe(401);
      await expect(admin.events.retireOldCustomSourceSecret({ sourceId: ids[kind] })).rejects.toMatchObject({ code: "CONFLICT" });
      const added = await admin.events.addCustomSourceSecret({ sourceId: ids[kind], secret: NEW });
      expect(added.hints).toHaveLength(2);
      expect((await send(OLD)).status).toBe(202);
      expect((await send(NEW)).status).toBe(202);
      // Two active: a third waits until one is retired (the field is named).
      await expect(admin.events.addCustomSourceSecret({ sourceId: ids[kind], secret: "third-secret-0123456789" })).rejects.toMatchObject({
        code: "CONFLICT",
      });
      await admin.events.retireOldCustomSourceSecret({ sourceId: ids[kind] });
      const refused = await send(OLD);
      expect(refused.status).toBe(401);
      expect((await send(NEW)).status).toBe(202);
      const listed = (await admin.events.customSources()).find((s) => s.id === ids[kind])!;
      expect(listed).toMatchObject({ nextHint: null });
      expect(listed.hint).not.toContain(NEW);
    });
  }

  it("audits each step without the secret itself", async () => {
    const rows = await getDb().auditEvent.findMany({
      where: { subjectId: ids.bearer, action: { startsWith: "custom_source.secret_" } },
      orderBy: { createdAt: "asc" },
    });
    expect(rows.map((r) => r.action)).toEqual(["custom_source.secret_added", "custom_source.secret_retired"]);
    expect(JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(NEW);
  });
});
