import { z } from "zod";
import { bigintCursor, dateInput } from "../platform/input-rules";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { DEPLOYMENT_STATUSES } from "./state-machine";
import { exportEvidence } from "./evidence";
import { getRequest, listRequests, requestFormOptions, requestLogs } from "./queries";
import { cancelRequest, createRequest, markBreakGlassReviewed, previewRequest } from "./requests";
import { requestRollback } from "./rollback";
import { changesForRequest } from "./changes-between";
import { versionChoices } from "./version-choices";
import { recentOutcomes } from "./recent-outcomes";
import { requestInput } from "./request-input";

const id = z.string().min(1).max(64);

export const deploymentsRouter = router({
  formOptions: authedProcedure.query(({ ctx }) => requestFormOptions(ctx.db, ctx.user)),

  /** Versions the request form offers for a target: those that succeeded upstream (free text stays allowed). */
  versionChoices: authedProcedure.input(z.object({ serviceId: id, environmentId: id })).query(({ ctx, input }) => versionChoices(ctx.db, input)),

  /** The form's live explanation: promotion verdict, freeze, policy, risk. */
  preview: authedProcedure
    .input(z.object({ serviceId: id, environmentId: id, version: z.string().trim().min(1).max(200) }))
    .query(({ ctx, input }) => previewRequest(ctx.db, input)),

  create: authedProcedure.input(requestInput).mutation(async ({ ctx, input }) => ({ id: await createRequest(ctx.db, ctx.user, input) })),

  /** Emergency deployment without approval (approvers and admins), flagged for review. */
  breakGlass: roleProcedure("approver")
    .input(requestInput.extend({ reason: z.string().trim().min(10, "Explain the emergency in at least 10 characters").max(2000) }))
    .mutation(async ({ ctx, input }) => {
      const { reason, ...rest } = input;
      return { id: await createRequest(ctx.db, ctx.user, { ...rest, breakGlassReason: reason }) };
    }),

  list: authedProcedure
    .input(
      z.object({
        serviceId: id.optional(),
        environmentId: id.optional(),
        status: z.enum(DEPLOYMENT_STATUSES as [string, ...string[]]).optional(),
        requesterId: id.optional(),
        from: dateInput("from").optional(),
        to: dateInput("to").optional(),
        cursor: id.optional(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(({ ctx, input }) => listRequests(ctx.db, { ...input, status: input.status as (typeof DEPLOYMENT_STATUSES)[number] | undefined })),

  get: authedProcedure.input(z.object({ id })).query(({ ctx, input }) => getRequest(ctx.db, ctx.user, input.id)),

  /** A service's recent deployment outcomes (the service page's tracker). */
  recentOutcomes: authedProcedure
    .input(z.object({ serviceId: id, environmentName: z.string().max(100).optional(), limit: z.number().int().min(1).max(90).optional() }))
    .query(({ ctx, input }) => recentOutcomes(ctx.db, input)),

  /** The commits/PRs the request brings to its environment (what approvers approve); anyone who may see the request. */
  changes: authedProcedure.input(z.object({ id })).query(({ ctx, input }) => changesForRequest(ctx.db, input.id)),

  logs: authedProcedure
    .input(z.object({ id, afterId: bigintCursor("afterId").optional() }))
    .query(({ ctx, input }) => requestLogs(ctx.db, input.id, input.afterId)),

  cancel: authedProcedure.input(z.object({ id, reason: z.string().max(500).optional() })).mutation(async ({ ctx, input }) => {
    const r = await cancelRequest(ctx.db, ctx.user, input.id, input.reason);
    return { id: r.id, status: r.status };
  }),

  rollback: authedProcedure.input(z.object({ id, reason: z.string().max(500).default("") })).mutation(async ({ ctx, input }) => ({
    id: await requestRollback(ctx.db, ctx.user, input.id, input.reason),
  })),

  reviewBreakGlass: roleProcedure("admin")
    .input(z.object({ id, note: z.string().trim().min(3).max(2000) }))
    .mutation(async ({ ctx, input }) => {
      const r = await markBreakGlassReviewed(ctx.db, ctx.user, input.id, input.note);
      return { id: r.id, reviewedAfterAt: r.reviewedAfterAt };
    }),

  exportEvidence: roleProcedure("approver")
    .input(
      z.union([
        z.object({ requestId: id, format: z.enum(["json", "csv"]) }),
        z.object({ from: dateInput("from"), to: dateInput("to"), format: z.enum(["json", "csv"]) }),
      ]),
    )
    .mutation(({ ctx, input }) =>
      exportEvidence(ctx.db, "requestId" in input ? { requestId: input.requestId } : { from: input.from, to: input.to }, input.format),
    ),
});
