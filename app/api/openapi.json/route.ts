// GET /api/openapi.json: the ingestion API's OpenAPI document.
import { OPENAPI_DOCUMENT } from "@/server/ingest/openapi";

export const dynamic = "force-static";

export function GET() {
  return Response.json(OPENAPI_DOCUMENT);
}
