// What the notification routers share: configuration, route tests, test events and the delivery log are admin-only
// (organisation-wide notification routing: identity/access.ts canAdminister); a user's own preferences need only a
// session.
import { z } from "zod";
import { roleProcedure } from "../../trpc";

export const adminProcedure = roleProcedure("admin");
export const byId = z.object({ id: z.string().min(1) });
