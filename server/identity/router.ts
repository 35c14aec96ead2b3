import { z } from "zod";
import { authedProcedure, publicProcedure, roleProcedure, router } from "../trpc";
import { changeRole, listDemoUsers, myTeams } from "./users";
import { env } from "../env";

export const identityRouter = router({
  /** The signed-in user, or null. */
  session: publicProcedure.query(({ ctx }) => ctx.user),

  demoUsers: publicProcedure.query(({ ctx }) => (env().demoLoginEnabled ? listDemoUsers(ctx.db) : [])),

  me: authedProcedure.query(async ({ ctx }) => ({ user: ctx.user, teams: await myTeams(ctx.db, ctx.user.id) })),

  /** People directory (approvers pick reviewers, admins manage roles). */
  listUsers: roleProcedure("approver").query(({ ctx }) =>
    ctx.db.user.findMany({
      orderBy: { name: "asc" },
      select: { id: true, name: true, email: true, role: true, memberships: { select: { team: { select: { slug: true, name: true } } } } },
    }),
  ),

  setRole: roleProcedure("admin")
    .input(z.object({ userId: z.string().min(1), role: z.enum(["developer", "approver", "admin"]) }))
    .mutation(({ ctx, input }) => changeRole(ctx.db, ctx.user, input.userId, input.role)),
});
