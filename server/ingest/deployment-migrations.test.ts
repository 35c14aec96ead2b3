// Migration events (CDEvents custom type dev.cdeventsx.pier-migration.applied.0.1.0) through the CDEvents endpoint:
// attached to the deployment of that service, environment and version; an incomplete one refused naming the field;
// events.migrationsFor (the request page's and the rollback confirmation's warning) for signed-in users only.
import { beforeAll, describe, expect, it } from "vitest";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { getDb } from "../db";
import { cdevent } from "../../test/support/cdevents-fixtures";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { processInboundEvent } from "./ingest-worker";
import { createIngestToken } from "./ingest-tokens";

let token = "";
const send = (body: unknown) =>
  cdeventsPOST(
    new Request("http://pier.test/api/events/cdevents", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    }),
  );

const migration = (id: string, content: Record<string, unknown>) => ({
  context: { specversion: "0.5.1", id, source: "/ci/ledger", type: "dev.cdeventsx.pier-migration.applied.0.1.0", timestamp: "2026-11-30T10:05:00Z" },
  subject: { id: `migration/${id}`, content },
});

let serviceId = "";
let environmentId = "";

beforeAll(async () => {
  const envs = await ensureEnvironments();
  environmentId = envs.prod.id;
  serviceId = (await makeService(undefined, "ledger-migrations")).id;
  const admin = await getDb().user.create({ data: { email: `migrations-${Date.now()}@pier.test`, name: "Admin", role: "admin" } });
  token = (await createIngestToken(getDb(), { id: admin.id, label: admin.name }, "Pipelines")).token;
  const deployed = cdevent("service.deployed", "0.5", {
    id: "deploy-ledger-140",
    subjectId: "service/ledger-migrations",
    timestamp: "2026-11-30T10:00:00Z",
    content: { environment: { id: "prod" }, artifactId: "pkg:oci/ledger@1.4.0" },
  });
  const res = await send(deployed);
  expect(await processInboundEvent(getDb(), (await res.json()).id)).toBe("processed");
});

describe("migration events", () => {
  it("attach to the deployment of that service, environment and version", async () => {
    const res = await send(
      migration("mig-1", {
        service: "ledger-migrations",
        environment: "prod",
        version: "1.4.0",
        migration: { id: "20261130_split_postings", description: "Split postings by currency", down: "migrate down 20261130_split_postings" },
      }),
    );
    expect(res.status).toBe(202);
    expect(await processInboundEvent(getDb(), (await res.json()).id)).toBe("processed");
    const row = await getDb().deploymentMigration.findFirstOrThrow({ where: { externalId: "mig-1" } });
    const deployment = await getDb().deployment.findFirstOrThrow({ where: { source: "cdevents", externalId: "deploy-ledger-140" } });
    expect(row).toMatchObject({ serviceId, environmentId, version: "1.4.0", deploymentId: deployment.id, downStep: "migrate down 20261130_split_postings" });
  });

  it("refuses a migration event that does not say which deployment ran it, naming the field", async () => {
    const res = await send(migration("mig-2", { service: "ledger-migrations", environment: "prod", migration: { id: "x" } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "subject.content.version" });
  });

  it("events.migrationsFor lists them for signed-in users only", async () => {
    await expect((await callerFor(null)).events.migrationsFor({ serviceId, environmentId, version: "1.4.0" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    expect(await caller.events.migrationsFor({ serviceId, environmentId, version: "1.4.0" })).toMatchObject([{ migrationId: "20261130_split_postings" }]);
    expect(await caller.events.migrationsFor({ serviceId, environmentId, version: "1.3.9" })).toEqual([]);
  });
});
