// The signed-in user's in-app inbox (the header's bell) and home page: their own items only — every procedure reads and writes
// rows of ctx.user alone, so nobody can see or mark another user's notifications.
import { z } from "zod";
import { authedProcedure, router } from "../trpc";
import { attentionFor } from "./attention";
import { listInbox, markAllInboxRead, markInboxItems, unreadCount } from "./inbox-store";

const id = z.string().min(1).max(64);

export const inboxRouter = router({
  list: authedProcedure
    .input(z.object({ unreadOnly: z.boolean().default(false), limit: z.number().int().min(1).max(200).default(30) }).default({ unreadOnly: false, limit: 30 }))
    .query(({ ctx, input }) => listInbox(ctx.db, ctx.user.id, input)),
  unreadCount: authedProcedure.query(async ({ ctx }) => ({ unread: await unreadCount(ctx.db.kysely, ctx.user.id) })),
  markRead: authedProcedure
    .input(z.object({ ids: z.array(id).min(1, "Name at least one notification").max(200), read: z.boolean().default(true) }))
    .mutation(({ ctx, input }) => markInboxItems(ctx.db, ctx.user.id, input.ids, input.read)),
  markAllRead: authedProcedure.mutation(({ ctx }) => markAllInboxRead(ctx.db, ctx.user.id)),
  /** The home page's lists for the caller: their requests, their teams' failures, open incidents, recent activity. */
  attention: authedProcedure.query(({ ctx }) => attentionFor(ctx.db, ctx.user)),
});
