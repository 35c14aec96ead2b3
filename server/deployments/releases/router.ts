// Coordinated releases over tRPC: thin; the rules live in releases.ts, access.ts and orchestrator.ts.
import { z } from "zod";
import { authedProcedure, router } from "../../trpc";
import { getRelease, listReleases, releaseFormOptions } from "./queries";
import { abortRelease, createRelease, decideRelease } from "./releases";

const id = z.string().min(1).max(64);

export const releasesRouter = router({
  list: authedProcedure.input(z.object({ environmentId: id.optional() }).optional()).query(({ ctx, input }) => listReleases(ctx.db, input ?? {})),
  formOptions: authedProcedure.query(({ ctx }) => releaseFormOptions(ctx.db, ctx.user)),
  get: authedProcedure.input(z.object({ id })).query(({ ctx, input }) => getRelease(ctx.db, ctx.user, input.id)),
  create: authedProcedure
    .input(
      z.object({
        name: z.string().trim().min(1, "Give the release a name").max(100),
        environmentId: id,
        onFailure: z.enum(["hold", "rollback"]).default("rollback"),
        summary: z.string().trim().max(500).optional(),
        members: z
          .array(z.object({ serviceId: id, version: z.string().trim().min(1, "Which version?").max(100) }))
          .min(2, "A release groups at least two services")
          .max(20, "A release groups at most 20 services"),
      }),
    )
    .mutation(async ({ ctx, input }) => ({ id: await createRelease(ctx.db, ctx.user, input) })),
  approve: authedProcedure
    .input(z.object({ id, decision: z.enum(["approve", "reject"]).default("approve"), comment: z.string().trim().max(1000).optional() }))
    .mutation(async ({ ctx, input }) => {
      const r = await decideRelease(ctx.db, ctx.user, input.id, input.decision, input.comment);
      return { status: r.status, approvals: r.approvedBy.length };
    }),
  abort: authedProcedure
    .input(z.object({ id, rollBack: z.boolean().default(false), reason: z.string().trim().max(500).optional() }))
    .mutation(async ({ ctx, input }) => {
      const r = await abortRelease(ctx.db, ctx.user, input.id, { rollBack: input.rollBack, reason: input.reason });
      return { status: r.status };
    }),
});
