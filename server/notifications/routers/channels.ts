// Channels and the outbound allow-list their endpoints are checked against (the channels page manages both).
import { z } from "zod";
import { actorOf } from "../../identity/access";
import { addAllowEntry, allowEntrySchema, listAllowEntries, removeAllowEntry } from "../allow-list";
import { channelInputSchema, channelUpdateSchema, createChannel, deleteChannel, listChannels, reEncryptChannelSecrets, updateChannel } from "../channel-admin";
import { adminProcedure as admin, byId } from "./procedures";

export const channelProcedures = {
  listChannels: admin.query(({ ctx }) => listChannels(ctx.db)),
  createChannel: admin.input(channelInputSchema).mutation(({ ctx, input }) => createChannel(ctx.db, actorOf(ctx.user), input)),
  /** Edit in place; secret fields left empty keep their stored value (the browser only ever has them masked). */
  updateChannel: admin
    .input(channelUpdateSchema.extend({ id: z.string().min(1) }))
    .mutation(({ ctx, input: { id, ...rest } }) => updateChannel(ctx.db, actorOf(ctx.user), id, rest)),
  deleteChannel: admin.input(byId).mutation(({ ctx, input }) => deleteChannel(ctx.db, actorOf(ctx.user), input.id)),
  /** After an encryption key rotation: re-seal every channel secret with the current key. */
  reEncryptSecrets: admin.mutation(({ ctx }) => reEncryptChannelSecrets(ctx.db, actorOf(ctx.user))),

  listAllowList: admin.query(({ ctx }) => listAllowEntries(ctx.db)),
  addAllowEntry: admin.input(allowEntrySchema).mutation(({ ctx, input }) => addAllowEntry(ctx.db, actorOf(ctx.user), input)),
  removeAllowEntry: admin.input(byId).mutation(({ ctx, input }) => removeAllowEntry(ctx.db, actorOf(ctx.user), input.id)),
};
