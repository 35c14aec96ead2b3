// Message templates per (event type, channel type), with a live preview.
import { actorOf } from "../../identity/access";
import { deleteTemplate, listTemplates, saveTemplate, templateInputSchema } from "../route-admin";
import { previewTemplate, templatePreviewSchema } from "../template-preview";
import { adminProcedure as admin, byId } from "./procedures";

export const templateProcedures = {
  listTemplates: admin.query(({ ctx }) => listTemplates(ctx.db)),
  saveTemplate: admin.input(templateInputSchema).mutation(({ ctx, input }) => saveTemplate(ctx.db, actorOf(ctx.user), input)),
  deleteTemplate: admin.input(byId).mutation(({ ctx, input }) => deleteTemplate(ctx.db, actorOf(ctx.user), input.id)),
  /** Live preview: the template rendered over a sample event, and the payload a channel of that type would get. */
  previewTemplate: admin.input(templatePreviewSchema).query(({ input }) => previewTemplate(input)),
};
