// GET /api/catalog/export[?service=slug] — catalog-info.yaml download for the signed-in user.
import { createRequestContext } from "@/server/context";
import { exportCatalogYaml, exportServiceYaml } from "@/server/catalog/backstage-export";
import { DomainError, HTTP_STATUS } from "@/server/errors";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  const ctx = await createRequestContext();
  if (!ctx.user) return Response.json({ error: "Sign in to continue" }, { status: 401 });
  const slug = new URL(req.url).searchParams.get("service");
  try {
    const yaml = slug ? await exportServiceYaml(ctx.db, slug) : await exportCatalogYaml(ctx.db);
    return new Response(yaml, {
      headers: {
        "content-type": "application/yaml; charset=utf-8",
        "content-disposition": `attachment; filename="${slug ? `${slug}-` : ""}catalog-info.yaml"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    if (err instanceof DomainError) return Response.json({ error: err.message }, { status: HTTP_STATUS[err.code] });
    throw err;
  }
}
