// Per-process caches of the ingestion credentials, with two Db handles standing for two processes (each handle has
// its own caches and its own LISTEN connection): an admin's change in one process takes effect in the other within
// a second (NOTIFY with the change's commit), and a process that lost its listening connection drops its caches
// when it reconnects (it may have missed notifications meanwhile).
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, createDb, invalidationListening, sql, type Db } from "../db";
import { makeUser } from "../../test/support/factories";
import { authenticateIngestToken, createIngestToken, revokeIngestToken } from "./ingest-tokens";
import { createWebhookSecret, deleteWebhookSecret, webhookSecrets } from "./webhook-secrets";

const handles: Db[] = [];
async function processDb() {
  const db = createDb(process.env.DATABASE_URL!, 3);
  handles.push(db);
  await invalidationListening(db);
  return db;
}

afterAll(async () => {
  await Promise.all(handles.map((h) => closeDb(h)));
});

/** Polls `read` until it returns `expected`; returns how long that took. */
async function within(read: () => Promise<unknown>, expected: unknown, ms = 1000) {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected)) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("cross-process cache invalidation", () => {
  it("a token revoked in one process stops working in the other within a second", async () => {
    const [web1, web2] = [await processDb(), await processDb()];
    const admin = await makeUser("admin");
    const actor = { id: admin.id, label: admin.name };
    const { id, token } = await createIngestToken(web1, actor, "CI pipeline");
    const header = `Bearer ${token}`;
    expect(await authenticateIngestToken(web2, header)).toBe(id); // cached in web2 (for 30 s)
    await revokeIngestToken(web1, actor, id);
    expect(await within(() => authenticateIngestToken(web2, header), null)).toBeLessThan(1000);
  });

  it("a webhook secret added or deleted in one process is seen by the other within a second", async () => {
    const [web1, web2] = [await processDb(), await processDb()];
    const admin = await makeUser("admin");
    const actor = { id: admin.id, label: admin.name };
    const before = await webhookSecrets(web2, "github_webhook"); // cached in web2 (for 15 s)
    const created = await createWebhookSecret(web1, actor, { kind: "github_webhook", name: "GitHub org", secret: "s3cret-signing-key-0123" });
    await within(async () => (await webhookSecrets(web2, "github_webhook")).includes("s3cret-signing-key-0123"), true);
    await deleteWebhookSecret(web1, actor, created.id);
    await within(() => webhookSecrets(web2, "github_webhook"), before);
  });

  it("a process whose listening connection dropped forgets its cached tokens when it reconnects", async () => {
    const worker = await processDb();
    const admin = await makeUser("admin");
    const { id, token } = await createIngestToken(worker, { id: admin.id, label: admin.name }, "Deploy bot");
    const header = `Bearer ${token}`;
    expect(await authenticateIngestToken(worker, header)).toBe(id);
    const other = await processDb();
    // The listening connections go away, and the token is revoked while nobody listens (no notification).
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN pier_invalidate'`.execute(
      other.kysely,
    );
    await sql`UPDATE "IngestToken" SET "revokedAt" = now() WHERE id = ${id}`.execute(other.kysely);
    // Reconnected within about a second: the cache is dropped and the revocation seen.
    await within(() => authenticateIngestToken(worker, header), null, 3000);
  });
});
