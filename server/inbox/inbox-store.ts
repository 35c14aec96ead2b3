// The only writer of InboxItem (the header's bell). Items are written by the inbox subscriber in the fan-out's
// transaction; their owner marks them read. Read state is the user's own view of their inbox, not a change to
// Pier's state, so marking read writes no audit record or event.
import { newId, sql, transaction, type Db, type Kysely, type DB, type Tx } from "../db";
import { notFound } from "../errors";

export type InboxKind = "approval_needed" | "request_decided" | "deployment_finished" | "deployment_failed" | "incident";

export type NewInboxItem = {
  userId: string;
  kind: InboxKind;
  title: string;
  body?: string;
  href: string;
  eventId: string;
  subject: string;
  severity?: string;
  createdAt?: Date;
};

/** Adds items; one already written for the same user and event (a re-delivered event) is kept as it is. */
export function addInboxItems(tx: Tx, items: NewInboxItem[]) {
  if (items.length === 0) return;
  tx.deferred.write(
    tx
      .insertInto("InboxItem")
      .values(
        items.map((i) => ({
          id: newId(),
          userId: i.userId,
          kind: i.kind,
          title: i.title.slice(0, 300),
          body: (i.body ?? "").slice(0, 1000),
          href: i.href,
          eventId: i.eventId,
          subject: i.subject,
          severity: i.severity ?? "info",
          createdAt: i.createdAt ?? new Date(),
        })),
      )
      .onConflict((oc) => oc.columns(["userId", "eventId"]).doNothing()),
  );
}

/** Items of one kind about a subject that no longer need anyone (an approval once the request is decided): read. */
export function resolveInboxItems(tx: Tx, subject: string, kind: InboxKind, at: Date) {
  tx.deferred.write(tx.updateTable("InboxItem").set({ readAt: at }).where("subject", "=", subject).where("kind", "=", kind).where("readAt", "is", null));
}

const PAGE = 50;

/** The user's newest items (unread first when asked), and how many are unread. */
export async function listInbox(db: Db, userId: string, opts: { unreadOnly?: boolean; limit?: number } = {}) {
  const rows = await db.kysely
    .selectFrom("InboxItem")
    .select(["id", "kind", "title", "body", "href", "severity", "createdAt", "readAt"])
    .where("userId", "=", userId)
    .$if(!!opts.unreadOnly, (q) => q.where("readAt", "is", null))
    .orderBy("createdAt", "desc")
    .orderBy("id", "desc")
    .limit(Math.min(opts.limit ?? PAGE, 200))
    .execute();
  return { items: rows, unread: await unreadCount(db.kysely, userId) };
}

export async function unreadCount(db: Kysely<DB>, userId: string): Promise<number> {
  const row = await db
    .selectFrom("InboxItem")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("userId", "=", userId)
    .where("readAt", "is", null)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Marks the user's own items read (or unread again). An id that is not theirs is "not found" — the same answer as
 * for an id that does not exist, so nobody learns which ids belong to others — and nothing is changed.
 */
export async function markInboxItems(db: Db, userId: string, ids: string[], read = true) {
  const unique = [...new Set(ids)];
  return transaction(db, async (trx) => {
    const owned = await trx.selectFrom("InboxItem").select("id").where("id", "in", unique).where("userId", "=", userId).forUpdate().execute();
    if (owned.length !== unique.length) throw notFound("Notification");
    await trx
      .updateTable("InboxItem")
      .set({ readAt: read ? new Date() : null })
      .where("id", "in", unique)
      .where("userId", "=", userId)
      .execute();
    return { updated: unique.length, unread: await unreadCount(trx, userId) };
  });
}

/** Marks every unread item of the user read. */
export async function markAllInboxRead(db: Db, userId: string) {
  const res = await db.kysely.updateTable("InboxItem").set({ readAt: new Date() }).where("userId", "=", userId).where("readAt", "is", null).executeTakeFirst();
  return { updated: Number(res.numUpdatedRows), unread: 0 };
}
