// Drift over tRPC: the environment comparison (anyone signed in) and a live-version report (admins: an executor's
// status pushed by hand or by a script; workers report Pier's own runs and ingested events themselves).
import { z } from "zod";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { DomainError } from "../errors";
import { reportLiveVersion } from "./drift";
import { compareEnvironments } from "./drift-queries";
import { readPromotionGate, savePromotionGate } from "./promotion-gate";
import { parseVersion, VERSION_HINT } from "./version";

const id = z.string().min(1).max(64);

export const driftRouter = router({
  compare: authedProcedure.query(({ ctx }) => compareEnvironments(ctx.db)),
  // The environment's promotion gate (promotion-gate.ts): anyone may read it, admins set or remove it.
  gate: authedProcedure.input(z.object({ environmentId: id })).query(({ ctx, input }) => readPromotionGate(ctx.db, input.environmentId)),
  saveGate: roleProcedure("admin")
    .input(
      z.object({
        environmentId: id,
        gate: z
          .object({
            minTargets: z.number().int().min(1).max(1000).nullable(),
            soakMinutes: z
              .number()
              .int()
              .min(0)
              .max(60 * 24 * 30),
            requiredEvidence: z.array(z.string().max(50)).max(10),
          })
          .nullable(),
      }),
    )
    .mutation(({ ctx, input }) => savePromotionGate(ctx.db, ctx.user, input.environmentId, input.gate)),
  report: roleProcedure("admin")
    .input(
      z.object({
        serviceId: id,
        environmentId: id,
        target: z.string().trim().max(100).default(""),
        version: z.string().trim().min(1).max(100),
        observedAt: z.coerce.date(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!parseVersion(input.version))
        throw new DomainError("BAD_REQUEST", `"${input.version}" is not a version Pier understands. ${VERSION_HINT}`, "version");
      const placed = await ctx.db.kysely
        .selectFrom("ServiceEnvironment")
        .select("serviceId")
        .where("serviceId", "=", input.serviceId)
        .where("environmentId", "=", input.environmentId)
        .executeTakeFirst();
      if (!placed) throw new DomainError("BAD_REQUEST", "This service is not set up in that environment", "environmentId");
      if (input.target) {
        const t = await ctx.db.kysely
          .selectFrom("DeploymentTarget")
          .select("id")
          .where("environmentId", "=", input.environmentId)
          .where("name", "=", input.target)
          .executeTakeFirst();
        if (!t) throw new DomainError("BAD_REQUEST", `Not a target of this environment: ${input.target}`, "target");
      }
      const r = await reportLiveVersion(ctx.db, { ...input, source: "executor" });
      return { kept: r.kept, status: r.status };
    }),
});
