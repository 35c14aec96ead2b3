// catalog.locations.*: registered catalog locations (admins only) and orphaned entities (anyone signed in reads
// where an entity comes from; deleting an orphan is checked per entity: admins and members of the owning team).
import { z } from "zod";
import { authedProcedure, roleProcedure, router } from "../../trpc";
import { LOCATION_TYPES } from "./location-source";
import { deleteLocation, deleteOrphan, entityOrigin, listLocations, refreshLocationNow, registerLocation } from "./locations";

const idInput = z.object({ id: z.string().trim().min(1).max(40) });
const refInput = z.object({ ref: z.string().trim().min(3).max(400) });

export const locationsRouter = router({
  list: roleProcedure("admin").query(({ ctx }) => listLocations(ctx.db, ctx.user)),
  register: roleProcedure("admin")
    .input(
      z.object({
        type: z.enum(LOCATION_TYPES),
        target: z.string().trim().min(1, "Give the file's or the organisation's URL").max(1000),
        integration: z.string().trim().max(100).nullish(),
      }),
    )
    .mutation(({ ctx, input }) => registerLocation(ctx.db, ctx.user, input)),
  refresh: roleProcedure("admin")
    .input(idInput)
    .mutation(({ ctx, input }) => refreshLocationNow(ctx.db, ctx.user, input.id)),
  delete: roleProcedure("admin")
    .input(idInput)
    .mutation(({ ctx, input }) => deleteLocation(ctx.db, ctx.user, input.id)),
  origin: authedProcedure.input(refInput).query(({ ctx, input }) => entityOrigin(ctx.db, ctx.user, input.ref)),
  deleteOrphan: authedProcedure.input(refInput).mutation(({ ctx, input }) => deleteOrphan(ctx.db, ctx.user, input.ref)),
});
