// The organisation-wide audit log (approvers and admins): every state change Pier recorded, hash-chained.
// The chain's verification, checkpoints and their export are for admins (/admin/audit-chain).
import { z } from "zod";
import { conflict } from "../errors";
import { bigintCursor, dateInput } from "../platform/input-rules";
import { roleProcedure, router } from "../trpc";
import { listAuditEvents } from "./audit-events";
import { auditDiff } from "./audit-diff";
import { subjectNames } from "./subject-names";
import { chainStatus, checkAuditChain } from "./chain-check";
import { exportCheckpoints, recentCheckpoints, usesDevelopmentKey } from "./checkpoints";
import { env } from "../env";

export const auditRouter = router({
  events: roleProcedure("approver")
    .input(
      z.object({
        action: z.string().max(100).optional(),
        subjectType: z.string().max(100).optional(),
        subjectId: z.string().max(100).optional(),
        actor: z.string().max(100).optional(),
        from: dateInput("from").optional(),
        to: dateInput("to").optional(),
        cursor: bigintCursor("cursor").optional(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const page = await listAuditEvents(ctx.db, input);
      const names = await subjectNames(ctx.db, page.items);
      return {
        ...page,
        items: page.items.map((e) => ({ ...e, subject: names.get(`${e.subjectType}:${e.subjectId}`) ?? null, diff: auditDiff(e.before, e.after) })),
      };
    }),

  /** Whether the chain verified at its latest check (approvers see the state; the report itself is for admins). */
  chainSummary: roleProcedure("approver").query(async ({ ctx }) => {
    const status = await chainStatus(ctx.db);
    const reports = [status.incremental, status.full].filter((r) => r !== null).sort((a, b) => b.verifiedAt.localeCompare(a.verifiedAt));
    if (reports.length === 0) return { state: "unverified" as const, verifiedAt: null, checked: 0, mode: null, brokenAtSeq: null };
    // A break found by either kind of check stands until a check of that kind passes again.
    const broken = reports.find((r) => !r.ok);
    const shown = broken ?? reports[0];
    return {
      state: broken ? ("broken" as const) : ("verified" as const),
      verifiedAt: new Date(shown.verifiedAt),
      checked: shown.checked,
      mode: shown.mode,
      brokenAtSeq: broken?.break?.seq ?? null,
    };
  }),

  /** The latest scheduled/on-demand results, the newest checkpoints and how checks are configured. */
  chainStatus: roleProcedure("admin").query(async ({ ctx }) => {
    const [status, checkpoints] = await Promise.all([chainStatus(ctx.db), recentCheckpoints(ctx.db.kysely, 20)]);
    const e = env();
    return {
      ...status,
      checkpoints: checkpoints.map((c) => ({ ...c, signedAt: c.signedAt.toISOString() })),
      developmentKey: usesDevelopmentKey(),
      intervalMs: e.PIER_AUDIT_VERIFY_INTERVAL_MS,
      fullIntervalMs: e.PIER_AUDIT_FULL_VERIFY_INTERVAL_MS,
    };
  }),

  /** Verifies now ("full": every record; "incremental": from the newest checkpoint) and returns where it breaks. */
  verifyChain: roleProcedure("admin")
    .input(z.object({ mode: z.enum(["full", "incremental"]).default("full") }))
    .mutation(async ({ ctx, input }) => {
      const report = await checkAuditChain(ctx.db, input.mode, { id: ctx.user.id, label: ctx.user.name });
      if (!report) throw conflict("A verification of the audit chain is running right now; try again in a moment");
      return report;
    }),

  /** Every signed checkpoint, as the JSON document the page downloads. */
  exportCheckpoints: roleProcedure("admin").query(({ ctx }) => exportCheckpoints(ctx.db.kysely)),
});
