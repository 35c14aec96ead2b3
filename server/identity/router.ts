import { z } from "zod";
import { authedProcedure, publicProcedure, roleProcedure, router } from "../trpc";
import { changeRole, listDemoUsers, mergeAccount, myTeams, setDisabled, setTimeZone } from "./users";
import { env } from "../env";
import { isTimeZone, TIME_ZONE_MESSAGE } from "../platform/input-rules";

export const identityRouter = router({
  /** The signed-in user, or null. */
  session: publicProcedure.query(({ ctx }) => ctx.user),

  demoUsers: publicProcedure.query(({ ctx }) => (env().demoLoginEnabled ? listDemoUsers(ctx.db) : [])),

  me: authedProcedure.query(async ({ ctx }) => ({ user: ctx.user, teams: await myTeams(ctx.db, ctx.user.id) })),

  /** The signed-in user's own display time zone (null: follow the browser). */
  setTimeZone: authedProcedure
    .input(z.object({ timeZone: z.string().max(64).refine(isTimeZone, TIME_ZONE_MESSAGE).nullable() }))
    .mutation(({ ctx, input }) => setTimeZone(ctx.db, ctx.user, input.timeZone)),

  /** People directory (approvers pick reviewers, admins manage roles). */
  listUsers: roleProcedure("approver").query(({ ctx }) =>
    ctx.db.user.findMany({
      orderBy: { name: "asc" },
      select: {
        id: true,
        name: true,
        email: true,
        role: true,
        disabledAt: true,
        // catalogRef: the membership comes from a catalog User's memberOf (server/catalog/user-mapping.ts).
        memberships: { select: { catalogRef: true, team: { select: { slug: true, name: true } } }, orderBy: { team: { name: "asc" } } },
        // Where the account signs in from, and the address each provider gave (verified or not): admins merge on it.
        externalAccounts: { select: { provider: true, email: true, emailVerified: true }, orderBy: { createdAt: "asc" } },
      },
    }),
  ),

  setRole: roleProcedure("admin")
    .input(z.object({ userId: z.string().min(1), role: z.enum(["developer", "approver", "admin"]) }))
    .mutation(({ ctx, input }) => changeRole(ctx.db, ctx.user, input.userId, input.role)),

  /** Disable an account (its sessions end at once, no sign-in) or enable it again. */
  setDisabled: roleProcedure("admin")
    .input(z.object({ userId: z.string().min(1).max(64), disabled: z.boolean() }))
    .mutation(({ ctx, input }) => setDisabled(ctx.db, ctx.user, input.userId, input.disabled)),

  /** Merge an account created by a GitHub/OIDC sign-in into the user it belongs to (its identities move; it is disabled). */
  mergeAccount: roleProcedure("admin")
    .input(z.object({ fromUserId: z.string().min(1).max(64), intoUserId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => mergeAccount(ctx.db, ctx.user, input)),
});
