// Background catalog imports (issue 12, finding 5): POST /api/catalog/import?async=1 → 202 → outbox → worker, applied
// in chunks with progress; a run that dies resumes without applying or auditing anything twice; bad input is a 4xx
// naming the field with nothing written; a job is readable by its requester and admins only. Catalogs are grown
// from Backstage's real example catalog (test/support/backstage-fixtures.ts).
import { describe, expect, it } from "vitest";
import { workerDefinitions } from "../../workers/definitions";
import { startWorkers } from "../../workers/index";
import { backstageFixture, exampleCatalogCopies } from "../../test/support/backstage-fixtures";
import { outcome } from "../../test/support/catalog-builders";
import { callerFor, makeUser, sessionUser } from "../../test/support/factories";
import { getDb, sql } from "../db";
import type { SessionUser } from "../identity/roles";
import { QUEUES } from "../platform/queues";
import { handleCatalogImportGet, handleCatalogImportPost } from "./catalog-http";
import { handleCatalogImportJob, startCatalogImport, type CatalogImportStatus } from "./import-jobs";
import { runCatalogImport } from "./import-runner";

const post = (body: string, query = "?async=1", contentType = "application/yaml") =>
  new Request(`http://pier.test/api/catalog/import${query}`, { method: "POST", headers: { "content-type": contentType }, body });
const ctx = (user: SessionUser | null) => ({ db: getDb(), user });
const statusOf = async (user: SessionUser | null, id: string) =>
  handleCatalogImportGet(new Request(`http://pier.test/api/catalog/import/${id}`), ctx(user), id);

async function admin() {
  return sessionUser((await makeUser("admin")).id);
}

/** Rows that say something was written: jobs, outbox rows, audit records. */
async function writes() {
  const db = getDb();
  return { jobs: await db.catalogImport.count(), outbox: await db.outboxEvent.count(), audit: await db.auditEvent.count() };
}

/** Audit records of catalog entities created by the import of `prefix`, per subject. */
async function creationAudits(prefix: string) {
  const { rows } = await sql<{ subjectId: string; n: string }>`
    SELECT a."subjectId", count(*) AS n FROM "AuditEvent" a
    WHERE a.action = 'catalog.entity_created'
      AND (a.after->'metadata'->>'name') LIKE ${`${prefix}-%`}
    GROUP BY a."subjectId"`.execute(getDb().kysely);
  return rows;
}

describe("background catalog import", () => {
  it("runs a 5,000-document import as a job through the outbox and a worker, in chunks with progress, to correct counts", { timeout: 240_000 }, async () => {
    const user = await admin();
    const yaml = exampleCatalogCopies(1000, "bulk");
    const res = await handleCatalogImportPost(post(yaml), ctx(user));
    expect(res.status).toBe(202);
    const queued = (await res.json()) as { id: string; status: string; documents: number; statusUrl: string };
    expect(queued).toMatchObject({ status: "queued", documents: 5000, statusUrl: `/api/catalog/import/${queued.id}` });
    expect(res.headers.get("location")).toBe(queued.statusUrl);

    const stop = await startWorkers(workerDefinitions().filter((d) => d.queue === QUEUES.catalogImports));
    const seen: CatalogImportStatus[] = [];
    try {
      const deadline = Date.now() + 200_000;
      for (;;) {
        // Read as GET /api/catalog/import/<id> answers it.
        const r = await statusOf(user, queued.id);
        expect(r.status).toBe(200);
        const s = (await r.json()) as CatalogImportStatus;
        seen.push(s);
        if (s.status === "succeeded" || s.status === "failed") break;
        if (Date.now() > deadline) throw new Error(`import still ${s.status} at ${s.progress.processed}/${s.progress.documents}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    } finally {
      await stop();
    }
    const done = seen.at(-1)!;
    expect(done).toMatchObject({
      status: "succeeded",
      failure: null,
      progress: { documents: 5000, processed: 5000, linkTotal: 5000, linked: 5000, percent: 100 },
      counts: { created: 5000, updated: 0, unchanged: 0, skipped: 0, errors: 0, warnings: 0 },
      errors: [],
    });
    // Progress moved in chunk steps while it ran (never backwards, never past the total).
    const processed = seen.map((s) => s.progress.processed);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    const between = new Set(processed.filter((p) => p > 0 && p < 5000));
    expect(between.size).toBeGreaterThanOrEqual(2);
    for (const p of between) expect(p % 200).toBe(0);

    const db = getDb();
    expect(await db.team.count({ where: { slug: { startsWith: "bulk-" } } })).toBe(1000);
    // Each Component (the one Pier service per copy) became a service when the second pass settled its owner team.
    expect(await db.service.count({ where: { slug: { startsWith: "bulk-" } } })).toBe(1000);
    expect((await db.service.findUniqueOrThrow({ where: { slug: "bulk-999-example-website" }, include: { team: true } })).team.slug).toBe("bulk-999-guests");
    // Each Component consumes the API that comes after it in the file: the relation is kept, and resolved.
    const consumes = await db.kysely
      .selectFrom("CatalogRelation")
      .select("targetRef")
      .where("type", "=", "consumesApi")
      .where("sourceRef", "like", "component:default/bulk-%")
      .execute();
    expect(consumes).toHaveLength(1000);
    // One creation audit per entity, by the requester; the job's own records; its outbox row done; the file let go.
    const audits = await creationAudits("bulk");
    expect(audits).toHaveLength(5000);
    expect(audits.every((a) => a.n === "1")).toBe(true);
    expect(await db.auditEvent.count({ where: { subjectId: queued.id } })).toBe(2);
    const job = await db.catalogImport.findUniqueOrThrow({ where: { id: queued.id } });
    expect(job.yaml).toBe("");
    expect(await db.outboxEvent.count({ where: { queue: QUEUES.catalogImports, processedAt: null } })).toBe(0);
    expect(await db.outboxEvent.count({ where: { type: "catalog.import_finished" } })).toBe(1);
  });

  it("resumes a run that died mid-way (after a commit, and inside a chunk) without applying or auditing anything twice", { timeout: 120_000 }, async () => {
    const user = await admin();
    const db = getDb();
    const { id } = await startCatalogImport(db, user, exampleCatalogCopies(120, "resume"));

    // 1. The worker is stopped between chunks after three of them.
    const steps: number[] = [];
    const controller = new AbortController();
    const first = await runCatalogImport(db, id, {
      chunkSize: 100,
      signal: controller.signal,
      onChunk: (p) => {
        steps.push(p.processed);
        if (steps.length === 3) controller.abort();
      },
    });
    expect(first).toBe("stopped");
    expect(steps).toEqual([100, 200, 300]);
    expect(await db.catalogImport.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "running", processed: 300 });

    // 2. The next run dies inside a chunk: the database refuses one service halfway through it (as a crash would
    // end the transaction), so that chunk is rolled back whole and the error goes to the queue for a retry.
    await sql`CREATE FUNCTION refuse_resume_service() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'worker died'; END $$`.execute(db.kysely);
    await sql`CREATE TRIGGER refuse_resume_service BEFORE INSERT ON "Service" FOR EACH ROW
      WHEN (NEW.slug = 'resume-70-example-website') EXECUTE FUNCTION refuse_resume_service()`.execute(db.kysely);
    try {
      await expect(runCatalogImport(db, id, { chunkSize: 100 })).rejects.toThrow(/worker died/);
    } finally {
      await sql`DROP TRIGGER refuse_resume_service ON "Service"`.execute(db.kysely);
      await sql`DROP FUNCTION refuse_resume_service()`.execute(db.kysely);
    }
    const died = await db.catalogImport.findUniqueOrThrow({ where: { id } });
    expect(died).toMatchObject({ status: "running", attempts: 1 });
    expect(died.processed % 100).toBe(0);
    expect(await db.service.count({ where: { slug: "resume-70-example-website" } })).toBe(0);

    // 3. The queue runs it again (as the worker does, through the outbox job): it goes on from the cursor.
    const outboxRow = await db.outboxEvent.findFirstOrThrow({ where: { queue: QUEUES.catalogImports, payload: { path: ["importId"], equals: id } } });
    expect(await handleCatalogImportJob(db, { outboxId: outboxRow.id, type: outboxRow.type, payload: { importId: id } })).toBe("succeeded");
    const job = await db.catalogImport.findUniqueOrThrow({ where: { id } });
    expect(job).toMatchObject({ status: "succeeded", documents: 600, processed: 600, linked: 600, created: 600, skipped: 0, errorCount: 0, unchanged: 0 });
    expect(await db.catalogImportEntity.count({ where: { importId: id } })).toBe(600);
    const audits = await creationAudits("resume");
    expect(audits).toHaveLength(600);
    expect(audits.every((a) => a.n === "1")).toBe(true);
    expect(await db.service.count({ where: { slug: { startsWith: "resume-" } } })).toBe(120);
    expect((await db.outboxEvent.findUniqueOrThrow({ where: { id: outboxRow.id } })).processedAt).not.toBeNull();

    // A job that has ended is not run again; the same file again finds every entity unchanged.
    const auditCount = await db.auditEvent.count();
    expect(await runCatalogImport(db, id)).toBe("succeeded");
    expect(await db.auditEvent.count()).toBe(auditCount);
    const again = await startCatalogImport(db, user, exampleCatalogCopies(120, "resume"));
    expect(await runCatalogImport(db, again.id)).toBe("succeeded");
    expect(await db.catalogImport.findUniqueOrThrow({ where: { id: again.id } })).toMatchObject({ created: 0, updated: 0, unchanged: 600, skipped: 0 });
  });

  it("accepts or refuses each entity on its own and lists the refused ones with their position, kind, name and reason", async () => {
    const developer = await sessionUser((await makeUser("developer")).id);
    // The example entities without their org: the owner group "guests" is no Pier team, so only admins may import
    // them; the second copy's entities are refused to a developer likewise (its Group too: teams are admin-only).
    const yaml = backstageFixture("entities.yaml") + "\n" + exampleCatalogCopies(1, "dev");
    const { id } = await startCatalogImport(getDb(), developer, yaml);
    expect(await runCatalogImport(getDb(), id)).toBe("succeeded");
    const report = await (await callerFor(developer.id)).catalog.importJob({ id });
    expect(report.counts).toMatchObject({ created: 0, skipped: 0, errors: 8 });
    expect(report.errors.slice(0, 3)).toEqual([
      { index: 0, kind: "System", name: "examples", message: "Only admins may import a System owned by group:default/guests, which is not a Pier team" },
      { index: 1, kind: "Component", name: "example-website", message: expect.stringContaining("owned by group:default/guests") },
      { index: 2, kind: "API", name: "example-grpc-api", message: expect.stringContaining("owned by group:default/guests") },
    ]);
    expect(report.errors.find((e) => e.kind === "Group")).toEqual({
      index: 7,
      kind: "Group",
      name: "dev-0-guests",
      message: "Only admins may import a Group (it has no owning team)",
    });
  });
});

describe("background catalog import: who may, and bad input", () => {
  it("lets only the requester and admins read a job", async () => {
    const owner = await sessionUser((await makeUser("developer")).id);
    const other = await sessionUser((await makeUser("developer")).id);
    const approver = await sessionUser((await makeUser("approver")).id);
    const anAdmin = await admin();
    const { id } = await startCatalogImport(getDb(), owner, backstageFixture("entities.yaml"));

    expect((await statusOf(owner, id)).status).toBe(200);
    expect((await statusOf(anAdmin, id)).status).toBe(200);
    for (const intruder of [other, approver]) {
      const res = await statusOf(intruder, id);
      expect(res.status).toBe(403);
      expect(JSON.stringify(await res.json())).not.toContain("example");
      expect(await outcome((await callerFor(intruder.id)).catalog.importJob({ id }))).toMatchObject({ code: "FORBIDDEN" });
    }
    expect((await statusOf(null, id)).status).toBe(401);
    expect(await outcome((await callerFor(null)).catalog.importJob({ id }))).toMatchObject({ code: "UNAUTHORIZED" });
    expect((await handleCatalogImportPost(post(backstageFixture("entities.yaml")), ctx(null))).status).toBe(401);
    expect(await outcome((await callerFor(owner.id)).catalog.importJob({ id: "c".repeat(30) }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses bad input with a 4xx naming the field, writing nothing", async () => {
    const user = await sessionUser((await makeUser("developer")).id);
    const before = await writes();
    const refused = async (res: Response, status: number, field: string, message?: RegExp) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string; field: string };
      expect(body.field).toBe(field);
      if (message) expect(body.error).toMatch(message);
    };
    const entities = backstageFixture("entities.yaml");
    await refused(await handleCatalogImportPost(post(entities, "?async=maybe"), ctx(user)), 400, "async");
    await refused(await handleCatalogImportPost(post(entities, "?async=1&dryRun=true"), ctx(user)), 400, "dryRun");
    await refused(await handleCatalogImportPost(post("kind: [unclosed", "?async=1"), ctx(user)), 400, "yaml", /not valid YAML/);
    await refused(await handleCatalogImportPost(post(JSON.stringify({ yml: entities }), "?async=1", "application/json"), ctx(user)), 400, "yaml");
    await refused(await handleCatalogImportPost(post("---\n{}\n".repeat(20_001)), ctx(user)), 400, "yaml", /20001 documents; at most 20000/);
    await refused(await handleCatalogImportPost(post(`# ${"x".repeat(20_000_000)}\n${entities}`), ctx(user)), 400, "yaml", /larger than 20 MB/);
    const bomb = [
      "a: &a [1,2,3,4,5,6,7,8,9,10]",
      ...Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(",")}]`),
    ];
    await refused(await handleCatalogImportPost(post(bomb.join("\n")), ctx(user)), 400, "yaml", /more than 100 aliases/);
    await refused(await handleCatalogImportPost(post(`${entities}\n---\nkind: "\\0"\n`), ctx(user)), 400, "yaml", /NUL/);
    await refused(await statusOf(user, "../../etc"), 400, "id");
    expect(await outcome((await callerFor(user.id)).catalog.importJob({ id: "x'; DROP" }))).toMatchObject({ code: "BAD_REQUEST", fields: ["id"] });
    expect(await writes()).toEqual(before);

    // Three unfinished imports per user; the fourth waits.
    for (let i = 0; i < 3; i++) expect((await handleCatalogImportPost(post(entities), ctx(user))).status).toBe(202);
    await refused(await handleCatalogImportPost(post(entities), ctx(user)), 429, "yaml", /3 imports in progress/);
    expect(await getDb().catalogImport.count()).toBe(before.jobs + 3);
  });
});
