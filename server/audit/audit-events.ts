// The organisation-wide audit log as the audit page reads it: newest first, filtered, paged by seq.
import type { Db } from "../db";

export type AuditFilter = {
  action?: string;
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit?: number;
};

/**
 * Audit events, newest first, with filters; the cursor is the last seq seen. `action` is a prefix and `actor` a
 * case-insensitive part of the actor's label, both LIKE patterns as typed (as the audit page has always taken them).
 */
export async function listAuditEvents(db: Db, f: AuditFilter) {
  const limit = Math.min(f.limit ?? 50, 200);
  let query = db.kysely
    .selectFrom("AuditEvent")
    .selectAll()
    .orderBy("seq", "desc")
    .limit(limit + 1);
  if (f.action) query = query.where("action", "like", `${f.action}%`);
  if (f.subjectType) query = query.where("subjectType", "=", f.subjectType);
  if (f.subjectId) query = query.where("subjectId", "=", f.subjectId);
  if (f.actor) query = query.where("actorLabel", "ilike", `%${f.actor}%`);
  if (f.from) query = query.where("createdAt", ">=", f.from);
  if (f.to) query = query.where("createdAt", "<", f.to);
  if (f.cursor) query = query.where("seq", "<", f.cursor);
  const rows = await query.execute();
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].seq : null };
}
