// Refused ingestion requests, for the data-quality page — without letting anyone on the internet fill the table:
//   * a repeat (same source, reason, field and client address) is one row whose count and lastSeenAt move;
//   * at most NEW_PER_ADDRESS new rows per address per window and NEW_OVERALL per minute overall (addresses can be
//     spoofed through X-Forwarded-For when Pier is exposed without a proxy); beyond that a refusal only increments
//     one "rate_limited" row per address (or one for everybody);
//   * rows not seen for PIER_REJECTED_EVENT_RETENTION_DAYS are deleted by the ingest worker's sweeper, in batches
//     with SKIP LOCKED so several worker processes share the work.
import { createHash } from "node:crypto";
import { newId, sql, type Db } from "../db";
import { env } from "../env";
import { logger } from "../logger";

const EXCERPT_CHARS = 500;
const NEW_PER_ADDRESS = 20;
const ADDRESS_WINDOW_MS = 10 * 60_000;
const NEW_OVERALL = 200;
const OVERALL_WINDOW_MS = 60_000;

type Rejection = { source: string; reason: string; field: string | null; body?: string; address: string };

/** Text Postgres can store (no NUL, no lone surrogates), cut to `max` characters. */
const storable = (s: string, max: number) =>
  s
    .slice(0, max)
    .replace(/\u0000/g, "\uFFFD")
    .toWellFormed();

const fingerprintOf = (...parts: string[]) => createHash("sha256").update(parts.join("\u0001")).digest("hex");

/**
 * The client address of a request: the last X-Forwarded-For entry (added by the nearest proxy, or by Next.js from
 * the socket when the client sent none), else X-Real-IP; "" when there is none or it is not an address.
 */
export function clientAddress(req: Request): string {
  const forwarded = req.headers.get("x-forwarded-for")?.split(",").pop()?.trim();
  const addr = forwarded || req.headers.get("x-real-ip")?.trim() || "";
  return /^[0-9a-fA-F:.]{2,45}$/.test(addr) ? addr : "";
}

async function bump(db: Db, fingerprint: string): Promise<boolean> {
  const row = await db.kysely
    .updateTable("RejectedEvent")
    .set((eb) => ({ count: eb("count", "+", 1), lastSeenAt: new Date() }))
    .where("fingerprint", "=", fingerprint)
    .returning("id")
    .executeTakeFirst();
  return Boolean(row);
}

async function insertOrBump(db: Db, fingerprint: string, r: Rejection, reason: string, field: string | null, body: string) {
  const now = new Date();
  await db.kysely
    .insertInto("RejectedEvent")
    .values({
      id: newId(),
      source: r.source,
      reason: storable(reason, 500),
      field: field === null ? null : storable(field, 200),
      bodyExcerpt: storable(body, EXCERPT_CHARS),
      sourceAddress: r.address,
      receivedAt: now,
      lastSeenAt: now,
      count: 1,
      fingerprint,
    })
    .onConflict((oc) => oc.column("fingerprint").doUpdateSet((eb) => ({ count: eb("RejectedEvent.count", "+", 1), lastSeenAt: now })))
    .execute();
}

/** Records why a request was refused (shown on the data-quality page). Never throws: a refusal must stay a 4xx. */
export async function recordRejection(db: Db, r: Rejection) {
  try {
    const fingerprint = fingerprintOf(r.source, r.reason.slice(0, 500), r.field ?? "", r.address);
    if (await bump(db, fingerprint)) return;
    const now = Date.now();
    const { perAddress, overall } = await db.kysely
      .selectNoFrom((eb) => [
        eb
          .selectFrom((qb) =>
            qb
              .selectFrom("RejectedEvent")
              .select(sql.lit(1).as("one"))
              .where("sourceAddress", "=", r.address)
              .where("receivedAt", ">", new Date(now - ADDRESS_WINDOW_MS))
              .limit(NEW_PER_ADDRESS)
              .as("a"),
          )
          .select((e) => e.cast<number>(e.fn.countAll(), "integer").as("n"))
          .as("perAddress"),
        eb
          .selectFrom((qb) =>
            qb
              .selectFrom("RejectedEvent")
              .select(sql.lit(1).as("one"))
              .where("receivedAt", ">", new Date(now - OVERALL_WINDOW_MS))
              .limit(NEW_OVERALL)
              .as("o"),
          )
          .select((e) => e.cast<number>(e.fn.countAll(), "integer").as("n"))
          .as("overall"),
      ])
      .executeTakeFirstOrThrow();
    if ((overall ?? 0) >= NEW_OVERALL) {
      const reason = `rate_limited: more than ${NEW_OVERALL} different refusals a minute; further ones are only counted`;
      return await insertOrBump(db, fingerprintOf(r.source, "rate_limited", "*"), { ...r, address: "" }, reason, null, "");
    }
    if ((perAddress ?? 0) >= NEW_PER_ADDRESS) {
      const reason = `rate_limited: more than ${NEW_PER_ADDRESS} different refusals from this address in ${ADDRESS_WINDOW_MS / 60_000} minutes; further ones are only counted`;
      return await insertOrBump(db, fingerprintOf(r.source, "rate_limited", r.address), r, reason, null, "");
    }
    await insertOrBump(db, fingerprint, r, r.reason, r.field, r.body ?? "");
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : err }, "could not record a rejected event");
  }
}

/** Deletes refusals not seen for the retention period, `batch` rows per statement; returns how many went. */
export async function sweepRejectedEvents(db: Db, retentionDays = env().PIER_REJECTED_EVENT_RETENTION_DAYS, batch = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - retentionDays * 86_400_000);
  let total = 0;
  for (;;) {
    const deleted = await db.kysely
      .deleteFrom("RejectedEvent")
      .where("id", "in", (eb) => eb.selectFrom("RejectedEvent").select("id").where("lastSeenAt", "<", cutoff).limit(batch).forUpdate().skipLocked())
      .executeTakeFirst();
    const n = Number(deleted.numDeletedRows);
    total += n;
    if (n < batch) return total;
  }
}
