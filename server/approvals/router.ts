import { z } from "zod";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { decide } from "./decisions";
import { approvalInbox, INBOX_CURSOR, INBOX_MAX_PAGE, INBOX_PAGE_SIZE } from "./inbox";
import { addFreezeWindow, deleteFreezeWindow, deletePolicy, listPolicies, policyFormOptions, savePolicy } from "./policies";

const id = z.string().min(1).max(64);

export const approvalsRouter = router({
  /** One page of the caller's own inbox (what they may decide, or what waits on others), with both totals. */
  inbox: authedProcedure
    .input(
      z
        .object({
          list: z.enum(["mine", "others"]).default("mine"),
          cursor: z.string().regex(INBOX_CURSOR, "Not a cursor of this inbox").nullish(),
          limit: z.number().int().min(1).max(INBOX_MAX_PAGE).default(INBOX_PAGE_SIZE),
        })
        .default({ list: "mine", limit: INBOX_PAGE_SIZE }),
    )
    .query(({ ctx, input }) => approvalInbox(ctx.db, ctx.user, input)),

  /** Eligibility (policy, self-approval, team) is checked by the domain: anyone signed in may try. */
  decide: authedProcedure
    .input(z.object({ requestId: id, decision: z.enum(["approve", "reject"]), comment: z.string().max(2000).optional() }))
    .mutation(({ ctx, input }) => decide(ctx.db, ctx.user, input)),

  policies: authedProcedure.query(({ ctx }) => listPolicies(ctx.db)),

  policyFormOptions: roleProcedure("admin").query(({ ctx }) => policyFormOptions(ctx.db)),

  savePolicy: roleProcedure("admin")
    .input(
      z.object({
        id: id.optional(),
        name: z.string().trim().min(2, "Give the policy a name").max(100),
        environmentId: id,
        serviceId: id.optional().nullable(),
        tier: z.number().int().min(1).max(5).optional().nullable(),
        requiredApprovals: z.number().int().min(0).max(10),
        approverRole: z.enum(["developer", "approver", "admin"]).optional().nullable(),
        allowOwningTeam: z.boolean().default(false),
        approverTeamId: id.optional().nullable(),
        expiryMinutes: z
          .number()
          .int()
          .min(5)
          .max(60 * 24 * 30)
          .optional()
          .nullable(),
        waitTimerMinutes: z
          .number()
          .int()
          .min(0)
          .max(60 * 24 * 30)
          .default(0),
        allowSkipPromotion: z.boolean().default(false),
        autoRollback: z.boolean().default(false),
        allowBreakGlass: z.boolean().default(true),
      }),
    )
    .mutation(({ ctx, input }) => savePolicy(ctx.db, ctx.user, input)),

  deletePolicy: roleProcedure("admin")
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => deletePolicy(ctx.db, ctx.user, input.id)),

  addFreezeWindow: roleProcedure("admin")
    .input(
      z.object({
        environmentId: id,
        kind: z.enum(["range", "weekly"]),
        startsAt: z.coerce.date().optional().nullable(),
        endsAt: z.coerce.date().optional().nullable(),
        daysOfWeek: z.array(z.number().int().min(0).max(6)).max(7).optional(),
        startTime: z.string().max(5).optional().nullable(),
        endTime: z.string().max(5).optional().nullable(),
        timeZone: z.string().max(64).default("UTC"),
        reason: z.string().max(500).default(""),
      }),
    )
    .mutation(({ ctx, input }) => addFreezeWindow(ctx.db, ctx.user, input)),

  deleteFreezeWindow: roleProcedure("admin")
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => deleteFreezeWindow(ctx.db, ctx.user, input.id)),
});
