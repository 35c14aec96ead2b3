// POST /api/catalog/import — Backstage catalog-info.yaml (the raw YAML body, or JSON {"yaml": "...", "dryRun": true})
// for scripts and CI. Signed-in session required; the same per-entity rules and report as the UI import.
import { createRequestContext } from "@/server/context";
import { importCatalogYaml } from "@/server/catalog/backstage-import";
import { DomainError, HTTP_STATUS } from "@/server/errors";

export const dynamic = "force-dynamic";

export async function POST(req: Request) {
  const ctx = await createRequestContext();
  if (!ctx.user) return Response.json({ error: "Sign in to continue" }, { status: 401 });
  let yaml: string;
  let dryRun = new URL(req.url).searchParams.get("dryRun") === "true";
  if ((req.headers.get("content-type") ?? "").includes("application/json")) {
    const body = (await req.json().catch(() => null)) as { yaml?: unknown; dryRun?: unknown } | null;
    if (!body || typeof body.yaml !== "string") return Response.json({ error: 'Send {"yaml": "..."} or the YAML itself', field: "yaml" }, { status: 400 });
    yaml = body.yaml;
    dryRun = dryRun || body.dryRun === true;
  } else {
    yaml = await req.text();
  }
  try {
    const report = await importCatalogYaml(ctx.db, ctx.user, yaml, { dryRun });
    // 422 when entities had errors and nothing was applied: scripts can fail on the status alone.
    return Response.json(report, { status: report.counts.error ? 422 : 200 });
  } catch (err) {
    if (err instanceof DomainError) return Response.json({ error: err.message, field: err.field }, { status: HTTP_STATUS[err.code] });
    throw err;
  }
}
