import { describe, expect, it } from "vitest";
import { DomainError } from "../errors";
import { writeOutbox } from "../bus/outbox";
import { anyOf, getDb, newId, prepared, sql, transaction } from ".";
import { inlineQuery, literal } from "./inline";
import { fromPgError } from "./pg-pool";

/** Records the text of every statement sent on the connections taken from the pool until `stop()`. */
function captureStatements(db: ReturnType<typeof getDb>) {
  const sent: string[] = [];
  const onAcquire = (client: { query: (...a: unknown[]) => unknown }) => {
    const query = client.query.bind(client);
    client.query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      sent.push(typeof first === "string" ? first : first.text);
      return query(...args);
    };
  };
  db.pool.on("acquire", onAcquire as never);
  return { sent, stop: () => void db.pool.off("acquire", onAcquire as never) };
}

describe("the data layer", () => {
  it("inlines values as literals that survive quotes, backslashes and placeholders in quoted text", async () => {
    const tricky = `it's a \\ "test"; DROP TABLE x; -- $1`;
    const at = new Date("2026-01-02T03:04:05.678Z");
    const compiled = sql<{ s: string }>`SELECT ${tricky}::text AS s, ${42}::int AS n, ${-3}::int AS neg, 5 -${-2} AS minus, ${null}::text AS z,
      ${true}::boolean AS b, ${at}::timestamp AS t, ${["a", "it's"]}::text[] AS arr, ${JSON.stringify({ k: "v" })}::jsonb AS j, '$1' AS q`.compile(
      getDb().kysely,
    );
    const text = inlineQuery(compiled);
    expect(text).toContain("'$1' AS q");
    const { rows } = await getDb().pool.query(text);
    expect(rows[0]).toMatchObject({ s: tricky, n: 42, neg: -3, minus: 7, z: null, b: true, arr: ["a", "it's"], j: { k: "v" }, q: "$1" });
    expect(() => literal(Number.NaN)).toThrow(/finite/);
    expect(() => inlineQuery({ sql: "SELECT $2", parameters: [1] })).toThrow(/no parameter/);
  });

  it("reads timestamps as UTC and writes Dates as UTC", async () => {
    const at = new Date("2026-06-30T22:15:00.123Z");
    const { rows } = await sql<{ t: Date; echo: Date }>`SELECT '2026-01-02 03:04:05.678'::timestamp AS t, ${at}::timestamp AS echo`.execute(getDb().kysely);
    expect(rows[0].t.toISOString()).toBe("2026-01-02T03:04:05.678Z");
    expect(rows[0].echo.toISOString()).toBe(at.toISOString());
  });

  it("makes ids that sort in creation order", () => {
    const ids = Array.from({ length: 500 }, () => newId());
    expect(new Set(ids).size).toBe(500);
    expect([...ids].sort()).toEqual(ids);
  });

  it("maps the caller's mistakes to domain errors and leaves the rest alone", async () => {
    const { kysely } = getDb();
    const id = newId();
    const team = (slug: string) => ({ id, slug, name: "T", updatedAt: new Date() });
    await kysely
      .insertInto("Team")
      .values(team(`t-${id}`))
      .execute();
    const duplicate = await kysely
      .insertInto("Team")
      .values(team(`t2-${id}`))
      .execute()
      .catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(DomainError);
    expect(duplicate).toMatchObject({ code: "CONFLICT" });
    const dangling = await kysely
      .insertInto("Service")
      .values({ id: newId(), slug: `s-${id}`, name: "S", teamId: "no-such-team", updatedAt: new Date() })
      .execute()
      .catch((e: unknown) => e);
    expect(dangling).toMatchObject({ code: "BAD_REQUEST" });
    expect(fromPgError(new Error("boom"))).toBeUndefined();
    await expect(sql`SELECT 1/0`.execute(kysely)).rejects.toThrow(/division by zero/);
  });

  it("keeps the pool's connection when Postgres refuses a statement", async () => {
    const db = getDb();
    const pid = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db.kysely)).rows[0].pid;
    // One connection in use at a time: the same backend serves each statement unless one is discarded.
    const before = await pid();
    for (let i = 0; i < 3; i++) await expect(sql`SELECT 1/0`.execute(db.kysely)).rejects.toThrow();
    expect(await pid()).toBe(before);
    expect(db.pool.totalCount).toBeGreaterThan(0);
  });

  it("sends a transaction's deferred writes with COMMIT, in order, and runs after-commit work after it", async () => {
    const db = getDb();
    const type = `test.db.${newId()}`;
    const teamId = newId();
    const seen: string[] = [];
    await transaction(db, async (tx) => {
      writeOutbox(tx, { type, payload: { n: 1 } });
      tx.deferred.write(tx.insertInto("Team").values({ id: teamId, slug: `d-${teamId}`, name: "it's deferred", updatedAt: new Date() }));
      writeOutbox(tx, { type, payload: { n: 2 } });
      tx.afterCommit(async () => {
        seen.push(`after: ${await db.outboxEvent.count({ where: { type } })}`);
      });
      tx.afterRollback(() => seen.push("rolled back"));
      // Not written yet: deferred to the transaction's last message.
      expect(await tx.selectFrom("OutboxEvent").select("id").where("type", "=", type).execute()).toHaveLength(0);
      seen.push("body");
    });
    expect(seen).toEqual(["body", "after: 2"]);
    const rows = await db.outboxEvent.findMany({ where: { type }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    expect(rows.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await db.team.findUniqueOrThrow({ where: { id: teamId } })).name).toBe("it's deferred");
  });

  it("never sends the deferred writes of a transaction that rolls back, nor runs its after-commit work", async () => {
    const db = getDb();
    const type = `test.db.doomed.${newId()}`;
    const teamId = newId();
    await db.team.create({ data: { id: teamId, slug: `r-${teamId}`, name: "kept" } });
    // Watch every statement the connection is sent: the deferred INSERT must never reach Postgres.
    const { sent, stop } = captureStatements(db);
    let ran = false;
    let rolledBack = 0;
    try {
      await expect(
        transaction(db, async (tx) => {
          writeOutbox(tx, { type, payload: {} });
          tx.afterCommit(() => (ran = true));
          tx.afterRollback(() => rolledBack++);
          await tx.updateTable("Team").set({ name: "changed" }).where("id", "=", teamId).execute();
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
    } finally {
      stop();
    }
    expect(sent.some((s) => s.includes("OutboxEvent"))).toBe(false);
    expect(sent.at(-1)).toBe("ROLLBACK");
    expect(ran).toBe(false);
    expect(rolledBack).toBe(1);
    expect(await db.outboxEvent.count({ where: { type } })).toBe(0);
    expect((await db.team.findUniqueOrThrow({ where: { id: teamId } })).name).toBe("kept");
  });

  it("fails the whole transaction when Postgres refuses a deferred write at COMMIT, and keeps the connection usable", async () => {
    const db = getDb();
    const teamId = newId();
    await db.team.create({ data: { id: teamId, slug: `c-${teamId}`, name: "kept" } });
    const hooks: string[] = [];
    const refused = await transaction(db, async (tx) => {
      tx.afterCommit(() => hooks.push("commit"));
      tx.afterRollback(() => hooks.push("rollback"));
      await tx.updateTable("Team").set({ name: "changed" }).where("id", "=", teamId).execute();
      tx.deferred.write(tx.insertInto("Team").values({ id: teamId, slug: "dup", name: "dup", updatedAt: new Date() }));
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "CONFLICT" });
    // A COMMIT that fails is a rollback: its after-rollback work runs, its after-commit work does not.
    expect(hooks).toEqual(["rollback"]);
    expect((await db.team.findUniqueOrThrow({ where: { id: teamId } })).name).toBe("kept");
    expect(await transaction(db, (tx) => tx.selectNoFrom(sql<number>`1`.as("one")).execute())).toEqual([{ one: 1 }]);
  });

  it("coalesces changes of one thing into one write at its first place", async () => {
    const db = getDb();
    const ids = [newId(), newId()];
    for (const id of ids) await db.team.create({ data: { id, slug: `k-${id}`, name: "n" } });
    const RENAME = {
      merge: (a: { id: string; parts: string[] }, b: { id: string; parts: string[] }) => ({ id: a.id, parts: [...a.parts, ...b.parts] }),
      write: (item: { id: string; parts: string[] }, k: typeof db.kysely) =>
        k
          .updateTable("Team")
          .set({ name: item.parts.join("+") })
          .where("id", "=", item.id),
    };
    await transaction(db, async (tx) => {
      tx.deferred.coalesce(RENAME, ids[0], { id: ids[0], parts: ["a"] });
      tx.deferred.coalesce(RENAME, ids[1], { id: ids[1], parts: ["x"] });
      tx.deferred.coalesce(RENAME, ids[0], { id: ids[0], parts: ["b"] });
    });
    const names = await db.kysely.selectFrom("Team").select(["id", "name"]).where("id", "=", anyOf(ids)).orderBy("id").execute();
    expect(names.map((n) => n.name)).toEqual(["a+b", "x"]);
  });

  it("sends BEGIN with a transaction's first statement (its values inlined), and nothing for one that sends none", async () => {
    const db = getDb();
    const teamId = newId();
    await db.team.create({ data: { id: teamId, slug: `b-${teamId}`, name: "it's named" } });
    const { sent, stop } = captureStatements(db);
    let read: unknown;
    try {
      read = await transaction(db, async (tx) => {
        const row = await tx
          .selectFrom("Team")
          .select(["name", sql<number>`${41} + 1`.as("n")])
          .where("id", "=", teamId)
          .forUpdate()
          .executeTakeFirst();
        const again = await tx.selectFrom("Team").select("slug").where("id", "=", teamId).executeTakeFirst();
        return { ...row, ...again };
      });
      await expect(
        transaction(db, async () => {
          throw new Error("before any statement");
        }),
      ).rejects.toThrow("before any statement");
    } finally {
      stop();
    }
    expect(read).toEqual({ name: "it's named", n: 42, slug: `b-${teamId}` });
    // One message for BEGIN and the first statement (values inlined), the second statement as usual, then COMMIT;
    // the transaction that threw before any statement sent nothing, not even its ROLLBACK.
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatch(/^BEGIN;\nselect "name", 41 \+ 1 as "n" from "Team" where "id" = '/);
    expect(sent[1]).toContain('"slug"');
    expect(sent[1]).toContain("$1");
    expect(sent[2]).toBe("COMMIT");
  });

  it("sends a contended write last, commits without waiting for the disk, and waits for it in the same message", async () => {
    const db = getDb();
    const ids = [newId(), newId()];
    for (const id of ids) await db.team.create({ data: { id, slug: `h-${id}`, name: "n" } });
    const HEAD = {
      contended: true as const,
      merge: (a: string, b: string) => `${a}+${b}`,
      write: (name: string, k: typeof db.kysely) => k.updateTable("Team").set({ name }).where("id", "=", ids[0]),
    };
    const { sent, stop } = captureStatements(db);
    try {
      await transaction(db, async (tx) => {
        tx.deferred.coalesce(HEAD, "head", "a");
        tx.deferred.write(tx.updateTable("Team").set({ name: "plain" }).where("id", "=", ids[1]));
        tx.deferred.coalesce(HEAD, "head", "b");
      });
      await transaction(db, async (tx) => tx.deferred.write(tx.updateTable("Team").set({ name: "plain again" }).where("id", "=", ids[1])));
    } finally {
      stop();
    }
    // Neither transaction sent a statement before its COMMIT: its BEGIN goes with the COMMIT message.
    const [contended, plain] = sent.filter((s) => s.includes("COMMIT")).map((s) => s.replace(/^BEGIN;\n/, ""));
    // Contended: asynchronous commit (locks released once the commit is logged), the contended write after the
    // other, then a synchronously committed WAL record, which answers only once this commit is on disk too.
    expect(contended.startsWith("SET LOCAL synchronous_commit = off;")).toBe(true);
    expect(contended.indexOf(ids[1])).toBeLessThan(contended.indexOf(ids[0]));
    expect(contended.indexOf(ids[0])).toBeLessThan(contended.indexOf("COMMIT"));
    expect(contended.slice(contended.indexOf("COMMIT"))).toMatch(/^COMMIT;\nSELECT pg_logical_emit_message\(true, /);
    // Without a contended write, the commit message is the writes and COMMIT, as before.
    expect(plain).not.toContain("synchronous_commit");
    expect(plain.endsWith("COMMIT")).toBe(true);
    const names = await db.kysely.selectFrom("Team").select(["id", "name"]).where("id", "=", anyOf(ids)).execute();
    expect(Object.fromEntries(names.map((n) => [n.id, n.name]))).toEqual({ [ids[0]]: "a+b", [ids[1]]: "plain again" });
  });

  it("shared reads run on the reader connections", async () => {
    const { rows } = await sql<{ name: string }>`SELECT current_database() AS name`.execute(getDb().reader);
    expect(rows[0].name).toMatch(/^pier_t_/);
  });

  it("runs a prepared query with each call's values, and refuses a value that did not become a parameter", async () => {
    const db = getDb();
    const ids = [newId(), newId()];
    for (const id of ids) await db.team.create({ data: { id, slug: `p-${id}`, name: `name ${id}` } });
    const byId = prepared((k, p: { id: string; prefix: string }) =>
      k
        .selectFrom("Team")
        .select(["id", "name"])
        .where("id", "=", p.id)
        .where("slug", "like", sql<string>`${p.prefix} || '%'`),
    );
    expect(await byId.executeTakeFirst(db.kysely, { id: ids[0], prefix: "p-" })).toEqual({ id: ids[0], name: `name ${ids[0]}` });
    expect(await byId.execute(db.kysely, { id: ids[1], prefix: "p-" })).toEqual([{ id: ids[1], name: `name ${ids[1]}` }]);
    expect(await byId.execute(db.kysely, { id: ids[1], prefix: "zz" })).toEqual([]);
    // Inside a transaction too (a Tx is a Kysely).
    expect(await transaction(db, (tx) => byId.executeTakeFirst(tx, { id: ids[0], prefix: "p" }))).toMatchObject({ id: ids[0] });
    const literal = prepared((k, p: { name: string }) => k.selectFrom("Team").select("id").where("name", "=", sql.lit(p.name)));
    await expect(literal.execute(db.kysely, { name: "x" })).rejects.toThrow(/did not become a parameter/);
  });
});
