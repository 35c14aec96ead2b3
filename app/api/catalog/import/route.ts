// POST /api/catalog/import — Backstage catalog-info.yaml (the raw YAML body, or JSON {"yaml": "...", "dryRun": true})
// for scripts and CI. Signed-in session required; the same per-entity rules and report as the UI import; the body
// is read with a byte limit (server/catalog/catalog-http.ts). `?async=1`: a background import (202, then
// GET /api/catalog/import/<id> for its progress).
import { createRequestContext } from "@/server/context";
import { handleCatalogImportPost } from "@/server/catalog/catalog-http";

export const dynamic = "force-dynamic";

export async function POST(req: Request) {
  return handleCatalogImportPost(req, await createRequestContext());
}
