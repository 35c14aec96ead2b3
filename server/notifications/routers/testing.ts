// Trying the configuration out: the route test (what an event would do, nothing written or sent) and test events
// (sent for real), plus the options their forms (and the template editor's) offer.
import { actorOf } from "../../identity/access";
import { systemClock } from "../clock";
import { notificationFormOptions } from "../form-options";
import { routeTestInputSchema, testRoutesFor } from "../route-test";
import { emitTestEvent, eventSpecSchema } from "../test-events";
import { adminProcedure as admin } from "./procedures";

export const testingProcedures = {
  options: admin.query(({ ctx }) => notificationFormOptions(ctx.db)),
  routeTest: admin.input(routeTestInputSchema).mutation(({ ctx, input }) => testRoutesFor(ctx.db, actorOf(ctx.user), input, systemClock.now())),
  emitTestEvent: admin.input(eventSpecSchema).mutation(({ ctx, input }) => emitTestEvent(ctx.db, actorOf(ctx.user), input)),
};
