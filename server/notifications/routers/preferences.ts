// A user's own notification preferences: any signed-in user, for themselves only.
import { actorOf } from "../../identity/access";
import { authedProcedure } from "../../trpc";
import { preferencesForm, preferencesInputSchema, setPreferences } from "../preferences";

export const preferenceProcedures = {
  myPreferences: authedProcedure.query(({ ctx }) => preferencesForm(ctx.db, ctx.user.id)),
  setMyPreferences: authedProcedure
    .input(preferencesInputSchema)
    .mutation(({ ctx, input }) => setPreferences(ctx.db, { ...actorOf(ctx.user), id: ctx.user.id }, input)),
};
