// Routes: which events go to which channels, in evaluation order.
import { z } from "zod";
import { actorOf } from "../../identity/access";
import { routeInputSchema } from "../route-config";
import { createRoute, deleteRoute, listRoutes, moveRoute, updateRoute } from "../route-admin";
import { adminProcedure as admin, byId } from "./procedures";

export const routeProcedures = {
  listRoutes: admin.query(({ ctx }) => listRoutes(ctx.db.kysely)),
  createRoute: admin.input(routeInputSchema).mutation(({ ctx, input }) => createRoute(ctx.db, actorOf(ctx.user), input)),
  updateRoute: admin
    .input(routeInputSchema.extend({ id: z.string().min(1) }))
    .mutation(({ ctx, input: { id, ...rest } }) => updateRoute(ctx.db, actorOf(ctx.user), id, rest)),
  deleteRoute: admin.input(byId).mutation(({ ctx, input }) => deleteRoute(ctx.db, actorOf(ctx.user), input.id)),
  moveRoute: admin
    .input(z.object({ id: z.string().min(1), direction: z.enum(["up", "down"]) }))
    .mutation(({ ctx, input }) => moveRoute(ctx.db, actorOf(ctx.user), input.id, input.direction)),
};
