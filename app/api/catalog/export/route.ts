// GET /api/catalog/export[?service=slug] — catalog-info.yaml download for the signed-in user
// (server/catalog/catalog-http.ts).
import { createRequestContext } from "@/server/context";
import { handleCatalogExportGet } from "@/server/catalog/catalog-http";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  return handleCatalogExportGet(req, await createRequestContext());
}
