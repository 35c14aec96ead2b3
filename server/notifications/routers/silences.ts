// Silences: time-boxed suppression of matching notifications.
import { actorOf } from "../../identity/access";
import { systemClock } from "../clock";
import { createSilence, expireSilence, listSilences, silenceInputSchema } from "../route-admin";
import { adminProcedure as admin, byId } from "./procedures";

export const silenceProcedures = {
  listSilences: admin.query(({ ctx }) => listSilences(ctx.db, systemClock.now())),
  createSilence: admin.input(silenceInputSchema).mutation(({ ctx, input }) => createSilence(ctx.db, actorOf(ctx.user), input)),
  expireSilence: admin.input(byId).mutation(({ ctx, input }) => expireSilence(ctx.db, actorOf(ctx.user), input.id, systemClock.now())),
};
