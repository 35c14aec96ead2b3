// The catalog's REST routes as plain (Request, context) => Response functions; app/api/catalog/*/route.ts only wrap
// them with the signed-in context. POST /api/catalog/import reads its body (raw YAML, or JSON {"yaml": "...",
// "dryRun": true}) as a stream with a byte limit; every refusal is a 4xx naming the field; internal errors show only
// a reference to the log line. With `?async=1` the file (up to JOB_IMPORT_LIMITS) becomes a background job: 202 with
// the job's id and status URL (GET /api/catalog/import/<id>), instead of the inline import's report.
import type { Db } from "../db";
import { DomainError, HTTP_STATUS } from "../errors";
import type { SessionUser } from "../identity/roles";
import { logger } from "../logger";
import { classifyFailure, failureReference } from "../platform/failures";
import { BodyRefusal, bodyText, parseJsonBody, readBoundedBody } from "../platform/http-body";
import { stringProblem } from "../platform/input-rules";
import { exportCatalogYaml, exportServiceYaml } from "./backstage-export";
import { importCatalogYaml } from "./backstage-import";
import { catalogImportStatus, startCatalogImport } from "./import-jobs";
import { INLINE_IMPORT_LIMITS, MAX_IMPORT_REQUEST_BYTES } from "./import-limits";

/** JSON escaping can double a YAML text's size; the YAML itself is held to INLINE_IMPORT_LIMITS by the import. */
const MAX_INLINE_REQUEST_BYTES = 2 * INLINE_IMPORT_LIMITS.bytes + 1024;
const IMPORT_ID = /^[A-Za-z0-9]{1,40}$/;

const fail = (status: number, error: string, field: string | null = null) =>
  Response.json({ error, field }, { status, headers: { "cache-control": "no-store" } });

type RequestContext = { db: Db; user: SessionUser | null };

/** An unexpected error: a value the database refuses is the caller's 400; the rest shows only a reference. */
function failure(err: unknown, what: string, field: string | null): Response {
  if (err instanceof BodyRefusal) return fail(err.status, err.message, err.field === "(body)" ? field : err.field);
  if (err instanceof DomainError) return fail(HTTP_STATUS[err.code], err.message, err.field ?? null);
  const reference = failureReference();
  const kind = classifyFailure(err);
  logger.error({ err, requestId: reference }, `${what} failed`);
  if (kind === "invalid_data") return fail(400, `The request holds a value Pier cannot store (reference ${reference})`, field);
  if (kind === "unavailable") return fail(503, `Pier is busy or a service it needs is unavailable; try again (reference ${reference})`);
  return fail(500, `Something went wrong (reference ${reference})`);
}

/** GET /api/catalog/export[?service=slug] — catalog-info.yaml download for the signed-in user. */
export async function handleCatalogExportGet(req: Request, ctx: RequestContext): Promise<Response> {
  if (!ctx.user) return fail(401, "Sign in to continue");
  const slug = new URL(req.url).searchParams.get("service");
  if (slug !== null && (slug.length > 100 || stringProblem(slug))) return fail(400, "service must be a service's slug", "service");
  try {
    const yaml = slug ? await exportServiceYaml(ctx.db, slug) : await exportCatalogYaml(ctx.db);
    return new Response(yaml, {
      headers: {
        "content-type": "application/yaml; charset=utf-8",
        "content-disposition": `attachment; filename="${slug ? `${slug.replace(/[^a-z0-9-]/g, "")}-` : ""}catalog-info.yaml"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    return failure(err, "catalog export", "service");
  }
}

/**
 * POST /api/catalog/import — the same per-entity rules and report as the UI import (`?atomic=true` or {"atomic": true}:
 * all or nothing, for CI); `?async=1` queues a background import instead (202 + Location of its status).
 */
export async function handleCatalogImportPost(req: Request, ctx: RequestContext): Promise<Response> {
  if (!ctx.user) return fail(401, "Sign in to continue");
  const asyncParam = new URL(req.url).searchParams.get("async");
  if (asyncParam !== null && !["1", "true", "0", "false"].includes(asyncParam)) return fail(400, "async must be 1 (a background import) or 0", "async");
  const background = asyncParam === "1" || asyncParam === "true";
  try {
    const raw = await readBoundedBody(req, background ? MAX_IMPORT_REQUEST_BYTES : MAX_INLINE_REQUEST_BYTES);
    let yaml: string;
    let dryRun = new URL(req.url).searchParams.get("dryRun") === "true";
    let atomic = new URL(req.url).searchParams.get("atomic") === "true";
    if ((req.headers.get("content-type") ?? "").includes("application/json")) {
      const body = parseJsonBody(raw) as { yaml?: unknown; dryRun?: unknown; atomic?: unknown } | null;
      if (!body || typeof body !== "object" || typeof body.yaml !== "string") return fail(400, 'Send {"yaml": "..."} or the YAML itself', "yaml");
      yaml = body.yaml;
      dryRun = dryRun || body.dryRun === true;
      atomic = atomic || body.atomic === true;
    } else {
      yaml = bodyText(raw);
    }
    if (background) {
      if (dryRun) return fail(400, "A dry run runs inline: leave out async=1 (or dryRun)", "dryRun");
      const job = await startCatalogImport(ctx.db, ctx.user, yaml);
      return Response.json(job, { status: 202, headers: { location: job.statusUrl, "cache-control": "no-store" } });
    }
    const report = await importCatalogYaml(ctx.db, ctx.user, yaml, { dryRun, atomic });
    // 422 when an entity was refused (`applied` says whether the others went in): scripts can fail on the status alone.
    return Response.json(report, { status: report.counts.error ? 422 : 200 });
  } catch (err) {
    return failure(err, "catalog import", "yaml");
  }
}

/** GET /api/catalog/import/<id> — a background import's progress and report, for its requester and admins. */
export async function handleCatalogImportGet(_req: Request, ctx: RequestContext, id: string): Promise<Response> {
  if (!ctx.user) return fail(401, "Sign in to continue");
  if (!IMPORT_ID.test(id)) return fail(400, "id must be a catalog import's id", "id");
  try {
    return Response.json(await catalogImportStatus(ctx.db, ctx.user, id), { headers: { "cache-control": "no-store" } });
  } catch (err) {
    return failure(err, "catalog import status", "id");
  }
}
