// After-deploy impact over tRPC. Reading: any signed-in user (as the deployment page itself); editing the queries:
// the service's team and admins (checked in impact-store.ts).
import { z } from "zod";
import { authedProcedure, router } from "../../trpc";
import { deploymentImpact } from "./impact";
import { saveImpactQueries } from "./impact-store";
import { impactQueriesSchema } from "./promql";

const id = z.string().min(1).max(64);

export const impactRouter = router({
  forRequest: authedProcedure.input(z.object({ requestId: id })).query(({ ctx, input }) => deploymentImpact(ctx.db, ctx.user, input.requestId)),
  saveQueries: authedProcedure
    .input(impactQueriesSchema.extend({ serviceId: id }))
    .mutation(({ ctx, input }) =>
      saveImpactQueries(ctx.db, ctx.user, input.serviceId, { errorRateQuery: input.errorRateQuery, latencyQuery: input.latencyQuery }),
    ),
});
