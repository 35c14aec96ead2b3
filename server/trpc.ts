// tRPC foundation: context, error mapping, and the procedures every router builds on.
//   publicProcedure            anyone
//   authedProcedure            signed-in users (else UNAUTHORIZED)
//   roleProcedure(role)        signed-in users with at least that role (else FORBIDDEN)
// Finer rules (who may manage a service, cancel a request, …) are server/identity/access.ts, checked by domain code.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Role } from "@/generated/prisma/enums";
import type { Db } from "./db";
import { DomainError, fromPrismaError } from "./errors";
import { hasRole, type SessionUser } from "./identity/roles";
import { logger } from "./logger";
import { observeProcedure } from "./platform/metrics";

export type Context = { db: Db; user: SessionUser | null };

/**
 * zod issues keyed for forms: by the dotted path ("changes.runbookUrl", "tags.0") and by the field's own name
 * ("runbookUrl", "tags"), so a form can look its inputs up whether the input is flat or nested.
 */
export function zodFieldErrors(err: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (key: string, message: string) => {
    if (!key) return;
    const list = (out[key] ??= []);
    if (!list.includes(message)) list.push(message);
  };
  for (const issue of err.issues) {
    const path = issue.path.map(String);
    add(path.join("."), issue.message);
    const name = [...issue.path].reverse().find((p) => typeof p === "string");
    if (typeof name === "string") add(name, issue.message);
  }
  return out;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field-level messages for forms: { fieldName: ["message", …] }.
        fieldErrors:
          cause instanceof ZodError ? zodFieldErrors(cause) : cause instanceof DomainError && cause.field ? { [cause.field]: [cause.message] } : null,
      },
    };
  },
});

/** Domain and Prisma errors become tRPC errors with the right code; anything else stays a 500 and is logged. */
const errorMapping = t.middleware(async ({ next, path, type }) => {
  const started = performance.now();
  const result = await next();
  let code = "OK";
  if (!result.ok) {
    const err = result.error;
    const domain = err.cause instanceof DomainError ? err.cause : fromPrismaError(err.cause);
    if (domain) {
      result.error = new TRPCError({ code: domain.code, message: domain.message, cause: domain });
    } else if (err.code === "INTERNAL_SERVER_ERROR") {
      logger.error({ err: err.cause ?? err, path }, "procedure failed");
    }
    code = result.error.code;
  }
  observeProcedure(path, type, code, (performance.now() - started) / 1000);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue" });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export function roleProcedure(role: Role) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!hasRole(ctx.user, role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${role} role` });
    }
    return next();
  });
}
