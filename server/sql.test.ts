import { describe, expect, it } from "vitest";
import { getDb, poolOf } from "./db";
import { DomainError } from "./errors";
import { writeOutbox } from "./bus/outbox";
import { fromPgError, inlineSql, newId, sql, sqlOf, sqlQuery, sqlRead, sqlTransaction, STATEMENT } from "./sql";

describe("plain SQL", () => {
  it("inlines values as literals that survive quotes and backslashes, and refuses what it cannot inline", async () => {
    const tricky = `it's a \\ "test"; DROP TABLE x; --`;
    const at = new Date("2026-01-02T03:04:05.678Z");
    const text = inlineSql(sql`SELECT ${tricky}::text AS s, ${42}::int AS n, ${null}::text AS z, ${true}::boolean AS b, ${at}::timestamp AS t`);
    expect(text).not.toContain("$1");
    const { rows } = await poolOf(getDb()).query(text);
    expect(rows[0]).toMatchObject({ s: tricky, n: 42, z: null, b: true });
    expect(() => inlineSql(sql`SELECT ${{ a: 1 }}`)).toThrow(/unsupported/);
    expect(() => inlineSql(sql`SELECT ${Number.NaN}`)).toThrow(/finite/);
  });

  it("reads timestamps as UTC and writes Dates as UTC", async () => {
    const at = new Date("2026-06-30T22:15:00.123Z");
    const [row] = await sqlQuery<{ t: Date; echo: Date }>(getDb(), sql`SELECT '2026-01-02 03:04:05.678'::timestamp AS t, ${at}::timestamp AS echo`);
    expect(row.t.toISOString()).toBe("2026-01-02T03:04:05.678Z");
    expect(row.echo.toISOString()).toBe(at.toISOString());
  });

  it("makes ids that sort in creation order", () => {
    const ids = Array.from({ length: 500 }, () => newId());
    expect(new Set(ids).size).toBe(500);
    expect([...ids].sort()).toEqual(ids);
  });

  it("maps the caller's mistakes to domain errors and leaves the rest alone", async () => {
    const db = getDb();
    const id = newId();
    await sqlOf(db).run(sql`INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES (${id}, ${`t-${id}`}, 'T', now())`);
    const duplicate = await sqlOf(db)
      .run(sql`INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES (${id}, ${`t2-${id}`}, 'T', now())`)
      .catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(DomainError);
    expect(duplicate).toMatchObject({ code: "CONFLICT" });
    const dangling = await sqlOf(db)
      .run(sql`INSERT INTO "Service" (id, slug, name, "teamId", "updatedAt") VALUES (${newId()}, ${`s-${id}`}, 'S', 'no-such-team', now())`)
      .catch((e: unknown) => e);
    expect(dangling).toMatchObject({ code: "BAD_REQUEST" });
    expect(fromPgError(new Error("boom"))).toBeUndefined();
    await expect(sqlOf(db).rows(sql`SELECT 1/0`)).rejects.toThrow(/division by zero/);
  });

  it("keeps the pool's connection when Postgres refuses a statement", async () => {
    const db = getDb();
    const pool = poolOf(db);
    const pid = async () => (await sqlQuery<{ pid: number }>(db, sql`SELECT pg_backend_pid() AS pid`))[0].pid;
    // One connection in use at a time: the same backend serves each statement unless one is discarded.
    const before = await pid();
    for (let i = 0; i < 3; i++) await expect(sqlOf(db).rows(sql`SELECT 1/0`)).rejects.toThrow();
    expect(await pid()).toBe(before);
    expect(pool.totalCount).toBeGreaterThan(0);
  });

  it("a plain-SQL transaction sends its deferred writes with COMMIT, or nothing at all", async () => {
    const db = getDb();
    const type = `test.sql.${newId()}`;
    const teamId = newId();
    await sqlTransaction(db, async (tx) => {
      await writeOutbox(tx, { type, payload: { n: 1 } });
      await tx.defer(STATEMENT, sql`INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES (${teamId}, ${`d-${teamId}`}, ${"it's deferred"}, now())`);
      await writeOutbox(tx, { type, payload: { n: 2 } });
      // Not written yet: deferred to the transaction's last message.
      expect(await tx.rows(sql`SELECT 1 FROM "OutboxEvent" WHERE type = ${type}`)).toHaveLength(0);
    });
    const rows = await db.outboxEvent.findMany({ where: { type }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    expect(rows.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await db.team.findUniqueOrThrow({ where: { id: teamId } })).name).toBe("it's deferred");

    await expect(
      sqlTransaction(db, async (tx) => {
        await writeOutbox(tx, { type: `${type}.doomed`, payload: {} });
        await tx.run(sql`UPDATE "Team" SET name = 'changed' WHERE id = ${teamId}`);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.outboxEvent.count({ where: { type: `${type}.doomed` } })).toBe(0);
    expect((await db.team.findUniqueOrThrow({ where: { id: teamId } })).name).toBe("it's deferred");

    // A deferred write Postgres refuses at COMMIT fails the transaction: the statements before it are undone too.
    const refused = await sqlTransaction(db, async (tx) => {
      await tx.run(sql`UPDATE "Team" SET name = 'changed' WHERE id = ${teamId}`);
      await tx.defer(STATEMENT, sql`INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES (${teamId}, 'dup', 'dup', now())`);
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "CONFLICT" });
    expect((await db.team.findUniqueOrThrow({ where: { id: teamId } })).name).toBe("it's deferred");
    // …and the connection it used is back in the pool, working.
    expect(await sqlTransaction(db, (tx) => tx.rows<{ one: number }>(sql`SELECT 1 AS one`))).toEqual([{ one: 1 }]);
  });

  it("a deferred write outside a plain-SQL transaction runs at once (Prisma transaction or client)", async () => {
    const db = getDb();
    const type = `test.sql.now.${newId()}`;
    await db.$transaction(async (tx) => {
      await writeOutbox(tx, { type, payload: {} });
      expect(await tx.outboxEvent.count({ where: { type } })).toBe(1);
    });
    await writeOutbox(db, { type, payload: {} });
    expect(await db.outboxEvent.count({ where: { type } })).toBe(2);
  });

  it("shared reads run on the reader connections", async () => {
    const [row] = await sqlRead<{ name: string }>(getDb(), sql`SELECT current_database() AS name`);
    expect(row.name).toMatch(/^pier_t_/);
  });
});
