// The delivery log: every notification's status, and a manual retry.
import { actorOf } from "../../identity/access";
import { deliveryCounts, deliveryFilterSchema, listDeliveries, retryDelivery } from "../delivery-log";
import { adminProcedure as admin, byId } from "./procedures";

export const deliveryProcedures = {
  listDeliveries: admin.input(deliveryFilterSchema).query(({ ctx, input }) => listDeliveries(ctx.db, input)),
  deliveryCounts: admin.query(({ ctx }) => deliveryCounts(ctx.db)),
  retryDelivery: admin.input(byId).mutation(({ ctx, input }) => retryDelivery(ctx.db, actorOf(ctx.user), input.id)),
};
