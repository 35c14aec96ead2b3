// What kind of failure an unexpected error is, so an edge can answer honestly: the request's data cannot be stored
// (a permanent error: 4xx, retrying will not help), the infrastructure is unavailable (5xx, retry later), or a bug
// (5xx with a reference, details only in the log). Works on pg errors (Kysely), Prisma's errors and their causes.
import { randomBytes } from "node:crypto";

type FailureKind = "invalid_data" | "unavailable" | "internal";

type ErrorLike = { code?: unknown; originalCode?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown }; name?: unknown; message?: unknown };

/** Prisma codes that mean "this value cannot be stored" (too long, out of range, malformed, missing). */
const PRISMA_INVALID_DATA = new Set(["P2000", "P2005", "P2006", "P2007", "P2009", "P2011", "P2012", "P2019", "P2020", "P2023"]);
/** Prisma codes for an unreachable or overloaded database, a timeout or a write conflict. */
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1011", "P1017", "P2024", "P2034", "P2037"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);
/** Prisma's own refusals of a value before it reaches Postgres (a BigInt beyond int8, an invalid Date, …). */
const INVALID_DATA_MESSAGES = /Could not convert argument value|Provided Date object is invalid|Inconsistent column data|Value out of range for the type/;
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Connection is closed|timeout exceeded when trying to connect|MaxRetriesPerRequest|Client has encountered a connection error/i;

/** Every error in the cause chain (Prisma keeps the driver's error in meta.driverAdapterError). */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = err;
  for (let i = 0; i < 6 && current && typeof current === "object"; i++) {
    const e = current as ErrorLike;
    out.push(e);
    current = e.meta?.driverAdapterError ?? e.cause;
  }
  return out;
}

export function classifyFailure(err: unknown): FailureKind {
  for (const e of chain(err)) {
    const sqlState = typeof e.originalCode === "string" ? e.originalCode : typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
    if (sqlState) {
      const cls = sqlState.slice(0, 2);
      // 22 data exception, 23 integrity constraint, 54 program limit (e.g. index row too large), 2201x/22P0x included.
      if (cls === "22" || cls === "23" || cls === "54") return "invalid_data";
      // 08 connection, 53 insufficient resources, 57 operator intervention / statement timeout, 40 rollback
      // (serialization, deadlock), 55P03 lock not available.
      if (cls === "08" || cls === "53" || cls === "57" || cls === "40" || sqlState === "55P03") return "unavailable";
    }
    if (typeof e.code === "string") {
      if (PRISMA_INVALID_DATA.has(e.code)) return "invalid_data";
      if (PRISMA_UNAVAILABLE.has(e.code) || NETWORK_CODES.has(e.code)) return "unavailable";
    }
    if (typeof e.message === "string" && INVALID_DATA_MESSAGES.test(e.message)) return "invalid_data";
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGES.test(e.message)) return "unavailable";
  }
  return "internal";
}

/** A short id joining what the user is shown ("reference 3f9c…") to the log line with the details. */
export const failureReference = () => randomBytes(6).toString("hex");
