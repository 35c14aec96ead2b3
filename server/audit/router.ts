// The organisation-wide audit log (approvers and admins): every state change Pier recorded, hash-chained.
import { z } from "zod";
import { roleProcedure, router } from "../trpc";
import { listAuditEvents } from "./audit-events";

export const auditRouter = router({
  events: roleProcedure("approver")
    .input(
      z.object({
        action: z.string().max(100).optional(),
        subjectType: z.string().max(100).optional(),
        subjectId: z.string().max(100).optional(),
        actor: z.string().max(100).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        cursor: z.string().regex(/^\d+$/).optional(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
});
