// analyticsRouter (as `analytics`): input validation, then server/analytics logic.
//   delivery            every signed-in user (like the DORA dashboard it sits beside)
//   alertRules.*        admins only (rules decide what pages people at night); every change is audited
import { z } from "zod";
import { dateInput, isTimeZone, TIME_ZONE_MESSAGE } from "../platform/input-rules";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { ANALYTICS_GROUPS, deliveryAnalytics, STRATEGIES } from "./delivery-analytics";
import { ALERT_METRICS } from "./alert-metrics";
import { alertRuleInput, createAlertRule, deleteAlertRule, listAlertRules, muteAlertRule, updateAlertRule } from "./alert-rules";

const id = z.string().min(1).max(64);
const analyticsFilterInput = z.object({
  from: dateInput("from"),
  to: dateInput("to"),
  teamId: id.nullish(),
  serviceId: id.nullish(),
  environmentId: id.nullish(),
  strategy: z.enum(STRATEGIES, { error: `strategy must be one of ${STRATEGIES.join(", ")}` }).nullish(),
  timeZone: z.string().refine(isTimeZone, TIME_ZONE_MESSAGE).optional(),
});

const admin = roleProcedure("admin");

const alertRulesRouter = router({
  list: admin.query(({ ctx }) => listAlertRules(ctx.db)),
  metrics: admin.query(() => ALERT_METRICS),
  create: admin.input(alertRuleInput).mutation(({ ctx, input }) => createAlertRule(ctx.db, ctx.user, input)),
  update: admin.input(z.object({ id, rule: alertRuleInput })).mutation(({ ctx, input }) => updateAlertRule(ctx.db, ctx.user, input.id, input.rule)),
  mute: admin
    .input(z.object({ id, until: dateInput("until").nullable() }))
    .mutation(({ ctx, input }) => muteAlertRule(ctx.db, ctx.user, input.id, input.until)),
  delete: admin.input(z.object({ id })).mutation(({ ctx, input }) => deleteAlertRule(ctx.db, ctx.user, input.id)),
});

export const analyticsRouter = router({
  delivery: authedProcedure
    .input(
      analyticsFilterInput.extend({ groupBy: z.enum(ANALYTICS_GROUPS, { error: `groupBy must be one of ${ANALYTICS_GROUPS.join(", ")}` }).default("service") }),
    )
    .query(({ ctx, input }) => deliveryAnalytics(ctx.db, input, input.groupBy)),
  alertRules: alertRulesRouter,
});
