// Catalog test data: services and dependencies written straight to the database (tests only).
import { ZodError, z } from "zod";
import { getDb } from "../../server/db";
import { DomainError } from "../../server/errors";
import { uid } from "./factories";

type ServiceOverrides = Partial<{
  slug: string;
  name: string;
  description: string;
  tier: number;
  lifecycle: "experimental" | "production" | "deprecated";
  type: string;
  kind: string;
  tags: string[];
}>;

export async function makeService(teamId: string, o: ServiceOverrides = {}) {
  const slug = o.slug ?? `svc-${uid()}`;
  return getDb().service.create({
    data: { slug, name: o.name ?? slug, teamId, ...o },
    select: { id: true, slug: true, name: true, teamId: true },
  });
}

/** `from` depends on `to`. */
export async function dependsOn(from: { id: string }, to: { id: string }, kind: "runtime" | "build" | "data" = "runtime") {
  return getDb().serviceDependency.create({ data: { fromServiceId: from.id, toServiceId: to.id, kind } });
}

/** The `data.fieldErrors` the HTTP error formatter (server/trpc.ts) would send for an error from a caller. */
function fieldErrorsOf(err: unknown): Record<string, string[]> {
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof ZodError) return z.flattenError(cause).fieldErrors as Record<string, string[]>;
  if (cause instanceof DomainError && cause.field) return { [cause.field]: [cause.message] };
  return {};
}

/** Code and field-error keys of a rejected call ("OK" when it succeeded). */
export async function outcome(p: Promise<unknown>): Promise<{ code: string; fields: string[]; errors: Record<string, string[]> }> {
  try {
    await p;
    return { code: "OK", fields: [], errors: {} };
  } catch (e) {
    const errors = fieldErrorsOf(e);
    return { code: (e as { code?: string }).code ?? String(e), fields: Object.keys(errors), errors };
  }
}
