// tRPC foundation: context, error mapping, and the procedures every router builds on.
//   publicProcedure            anyone
//   authedProcedure            signed-in users (else UNAUTHORIZED)
//   roleProcedure(role)        signed-in users with at least that role (else FORBIDDEN)
// Finer rules (who may manage a service, cancel a request, …) are server/identity/access.ts, checked by domain code.
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Role } from "@/generated/prisma/enums";
import type { Db } from "./db";
import { badRequest, DomainError, fromPrismaError } from "./errors";
import { hasRole, type SessionUser } from "./identity/roles";
import { logger } from "./logger";
import { classifyFailure, failureReference } from "./platform/failures";
import { findUnsafeValue } from "./platform/input-rules";
import { observeProcedure } from "./platform/metrics";
import { wireTransformer } from "./platform/wire-format";

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

/** What a caller sees of an internal error: never SQL text or a stack, only a reference to the log line. */
const maskedMessage = (reference: string) => `Something went wrong (reference ${reference})`;
const MASKED = /^Something went wrong \(reference [0-9a-f]+\)$/;

const t = initTRPC.context<Context>().create({
  // Stacks never leave the server (errorFormatter drops them): never read them into error shapes either — reading
  // `error.stack` formats the stack (through source maps in development), a cost every refused call paid for nothing.
  isDev: false,
  // superjson's format both ways; answers written by a faster serialiser of the same format (wire-format.ts).
  transformer: wireTransformer,
  errorFormatter({ shape, error, path }) {
    const cause = error.cause;
    let message = shape.message;
    // Internal errors raised outside the procedures' middleware (context creation, …) are masked here too.
    if (error.code === "INTERNAL_SERVER_ERROR" && !MASKED.test(error.message)) {
      const requestId = failureReference();
      logger.error({ err: cause ?? error, path, requestId }, "request failed");
      message = maskedMessage(requestId);
    }
    // Stacks stay in the server's log, in development too.
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message,
      data: {
        ...data,
        // Field-level messages for forms: { fieldName: ["message", …] }.
        fieldErrors:
          cause instanceof ZodError ? zodFieldErrors(cause) : cause instanceof DomainError && cause.field ? { [cause.field]: [cause.message] } : null,
      },
    };
  },
});

/**
 * Domain and Prisma errors become tRPC errors with the right code; a value the database refuses (out of range,
 * malformed) is the caller's 400; an unavailable database/Redis is a 503; anything else is a 500 whose message is
 * only a reference to the log line holding the error (never SQL text or a stack).
 */
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
      const kind = classifyFailure(err.cause ?? err);
      const requestId = failureReference();
      if (kind === "invalid_data") {
        logger.warn({ err: err.cause ?? err, path, requestId }, "procedure refused a value the database cannot store");
        const refusal = badRequest("A value in the request is out of range or cannot be stored");
        result.error = new TRPCError({ code: "BAD_REQUEST", message: refusal.message, cause: refusal });
      } else if (kind === "unavailable") {
        logger.error({ err: err.cause ?? err, path, requestId }, "procedure failed: a backing service is unavailable");
        result.error = new TRPCError({
          code: "SERVICE_UNAVAILABLE",
          message: `Pier is busy or a service it needs is unavailable; try again (reference ${requestId})`,
        });
      } else {
        logger.error({ err: err.cause ?? err, path, requestId }, "procedure failed");
        result.error = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: maskedMessage(requestId) });
      }
    }
    code = result.error.code;
  }
  observeProcedure(path, type, code, (performance.now() - started) / 1000);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/**
 * The input rules (server/platform/input-rules.ts) on the raw input of every procedure, before its schema: a NUL
 * byte or lone surrogate in any string or key, nesting too deep, a non-finite number or an unusable Date is a 400
 * naming the field, whatever the procedure's schema says.
 */
const inputRules = t.middleware(async ({ getRawInput, next }) => {
  const unsafe = findUnsafeValue(await getRawInput());
  if (unsafe) throw badRequest(`${unsafe.field} ${unsafe.problem}`, unsafe.field);
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(inputRules);

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
