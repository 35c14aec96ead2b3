// analyticsRouter (as `analytics`): input validation, then server/analytics logic.
// Delivery analytics are readable by every signed-in user, like the DORA dashboard they sit beside.
import { z } from "zod";
import { dateInput, isTimeZone, TIME_ZONE_MESSAGE } from "../platform/input-rules";
import { authedProcedure, router } from "../trpc";
import { ANALYTICS_GROUPS, deliveryAnalytics, STRATEGIES } from "./delivery-analytics";

const id = z.string().min(1).max(64);
export const analyticsFilterInput = z.object({
  from: dateInput("from"),
  to: dateInput("to"),
  teamId: id.nullish(),
  serviceId: id.nullish(),
  environmentId: id.nullish(),
  strategy: z.enum(STRATEGIES, { error: `strategy must be one of ${STRATEGIES.join(", ")}` }).nullish(),
  timeZone: z.string().refine(isTimeZone, TIME_ZONE_MESSAGE).optional(),
});

export const analyticsRouter = router({
  delivery: authedProcedure
    .input(
      analyticsFilterInput.extend({ groupBy: z.enum(ANALYTICS_GROUPS, { error: `groupBy must be one of ${ANALYTICS_GROUPS.join(", ")}` }).default("service") }),
    )
    .query(({ ctx, input }) => deliveryAnalytics(ctx.db, input, input.groupBy)),
});
