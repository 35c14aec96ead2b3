// GET /api/catalog/import/<id> — a background catalog import's progress and report (started with
// POST /api/catalog/import?async=1), for whoever started it and admins (server/catalog/catalog-http.ts).
import { createRequestContext } from "@/server/context";
import { handleCatalogImportGet } from "@/server/catalog/catalog-http";

export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  return handleCatalogImportGet(req, await createRequestContext(), (await params).id);
}
