// Domain errors: thrown by server/<domain> logic, mapped to tRPC/HTTP codes at the edge.
export type DomainErrorCode = "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "PRECONDITION_FAILED" | "TOO_MANY_REQUESTS";

export class DomainError extends Error {
  constructor(
    public readonly code: DomainErrorCode,
    message: string,
    /** The input field the message belongs next to, when there is one. */
    public readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} was not found`);
export const forbidden = (why: string) => new DomainError("FORBIDDEN", why);
export const conflict = (why: string, field?: string) => new DomainError("CONFLICT", why, field);
export const badRequest = (why: string, field?: string) => new DomainError("BAD_REQUEST", why, field);

export const HTTP_STATUS: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
};

/** Prisma's known request errors that are the caller's doing, as domain errors; anything else is rethrown. */
export function fromPrismaError(err: unknown): DomainError | undefined {
  const e = err as { code?: string; meta?: { target?: unknown; modelName?: string } };
  if (!e || typeof e.code !== "string") return undefined;
  if (e.code === "P2002") {
    const target = Array.isArray(e.meta?.target) ? (e.meta?.target as string[]).join(", ") : String(e.meta?.target ?? "");
    return new DomainError("CONFLICT", `A record with this ${target || "value"} already exists`, target || undefined);
  }
  if (e.code === "P2025") return new DomainError("NOT_FOUND", `${e.meta?.modelName ?? "Record"} was not found`);
  if (e.code === "P2003") return new DomainError("BAD_REQUEST", "A referenced record does not exist");
  return undefined;
}
