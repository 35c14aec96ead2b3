// The admin allow-list of outbound hosts the SSRF guard would otherwise refuse (local fakes, internal endpoints).
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { newId, transaction, type Db } from "../db";
import { notFound } from "../errors";
import { announceConfigChange } from "./config-cache";

export const allowEntrySchema = z.object({
  pattern: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:\d{1,5})?$/, "use host or host:port, e.g. 127.0.0.1:8080"),
  reason: z.string().trim().min(3, "say why (at least 3 characters)").max(300),
});

export const listAllowEntries = (db: Db) => db.outboundAllowEntry.findMany({ orderBy: { pattern: "asc" } });

export async function addAllowEntry(db: Db, actor: Actor, input: z.input<typeof allowEntrySchema>) {
  const data = allowEntrySchema.parse(input);
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const row = await tx
      .insertInto("OutboundAllowEntry")
      .values({ id: newId(), pattern: data.pattern.replace(/^\[|\]$/g, ""), reason: data.reason })
      .returningAll()
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "outbound.allow_added", subjectType: "outbound_allow_entry", subjectId: row.id, after: row });
    return row;
  });
}

export async function removeAllowEntry(db: Db, actor: Actor, id: string) {
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const before = await tx.selectFrom("OutboundAllowEntry").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Allow-list entry");
    tx.deferred.write(tx.deleteFrom("OutboundAllowEntry").where("id", "=", id));
    recordAudit(tx, { actor, action: "outbound.allow_removed", subjectType: "outbound_allow_entry", subjectId: id, before });
    return { id };
  });
}
