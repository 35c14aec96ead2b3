// Fleet rollouts over tRPC: environments and their targets, a request's rollout, pause/resume/abort, admins'
// drain and plan edits. Thin: the rules live in control.ts and access.ts.
import { z } from "zod";
import { authedProcedure, roleProcedure, router } from "../../trpc";
import { controlRollout, savePlan } from "./control";
import { decideDrain, requestDrain } from "./drain";
import { planSchema } from "./plan";
import { getEnvironmentFleet, getRollout, listEnvironments } from "./queries";

const id = z.string().min(1).max(64);

export const rolloutsRouter = router({
  environments: authedProcedure.query(({ ctx }) => listEnvironments(ctx.db)),
  environment: authedProcedure
    .input(z.object({ name: z.string().min(1).max(100) }))
    .query(({ ctx, input }) => getEnvironmentFleet(ctx.db, ctx.user, input.name)),
  forRequest: authedProcedure.input(z.object({ requestId: id })).query(({ ctx, input }) => getRollout(ctx.db, ctx.user, input.requestId)),
  control: authedProcedure
    .input(z.object({ rolloutId: id, action: z.enum(["pause", "resume", "abort"]), reason: z.string().trim().max(500).optional() }))
    .mutation(async ({ ctx, input }) => {
      const r = await controlRollout(ctx.db, ctx.user, input.rolloutId, input.action, input.reason);
      return { status: r.status };
    }),
  // Asks to drain/undrain; applied at once only when the environment's policy needs no approval.
  drain: roleProcedure("admin")
    .input(z.object({ targetId: id, drained: z.boolean(), reason: z.string().trim().max(500).optional() }))
    .mutation(({ ctx, input }) => requestDrain(ctx.db, ctx.user, { targetId: input.targetId, drained: input.drained, reason: input.reason ?? null })),
  // Who may decide is the environment's approval policy's rule (drain.ts), checked there.
  decideDrain: authedProcedure
    .input(z.object({ drainRequestId: id, decision: z.enum(["approve", "reject"]), comment: z.string().trim().max(500).optional() }))
    .mutation(({ ctx, input }) => decideDrain(ctx.db, ctx.user, input)),
  savePlan: roleProcedure("admin")
    .input(z.object({ environmentId: id, plan: planSchema }))
    .mutation(async ({ ctx, input }) => {
      const p = await savePlan(ctx.db, ctx.user, input.environmentId, input.plan);
      return { revision: p.revision };
    }),
});
