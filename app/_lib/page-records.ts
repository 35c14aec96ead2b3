// The record behind a detail page (/services/[slug], /teams/[slug], /deployments/[id], /environments/[name],
// /releases/[id], /catalog/entity/…), read once per request:
// the page and its generateMetadata share it through React's cache. The page calls notFound() on a missing record
// before anything streams (no loading boundary sits above these pages), so an unknown id answers HTTP 404.
import { cache } from "react";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { serverCaller } from "./server-caller";

/** null when nothing has that id, or the id could not name anything (too long, empty): both are "not found". */
async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) return null;
    throw err;
  }
}

export const findService = cache(async (slug: string) => orNull((await serverCaller()).catalog.service({ slug })));
export const findTeam = cache(async (slug: string) => orNull((await serverCaller()).catalog.team({ slug })));
export const findEntity = cache(async (kind: string, namespace: string, name: string) =>
  orNull((await serverCaller()).catalog.entity({ kind, namespace, name })),
);
export const findDeployment = cache(async (id: string) => orNull((await serverCaller()).deployments.get({ id })));
export const findEnvironmentFleet = cache(async (name: string) => orNull((await serverCaller()).rollouts.environment({ name })));
export const findRelease = cache(async (id: string) => orNull((await serverCaller()).releases.get({ id })));

/** The record, or the Not found page with status 404. */
export function orNotFound<T>(record: T | null): T {
  if (record === null) notFound();
  return record;
}
