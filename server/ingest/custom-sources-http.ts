// POST /api/webhooks/custom/<slug>: an admin-defined source (./custom-sources.ts). Same order and answers as the
// other endpoints (./ingest-http.ts): size → the source's own authentication (constant time) → JSON → its current
// JSONata mapping → the CDEvents it yields, validated against the schemas (400 naming the field; recorded for the
// data-quality page) → stored once per CDEvent context.id → 202 (200 when all are duplicates). The events are then
// translated by the ingest worker like any CDEvents; the mapping version used is in X-Pier-Mapping-Version.
import { getDb, type Db } from "../db";
import { parseJsonBody, readBoundedBody } from "../platform/http-body";
import { customAuthProblem, customSourceBySlug, mappingOf, runMapping } from "./custom-sources";
import { storeInboundEvents } from "./ingest";
import { HttpRefusal, MAX_BODY_BYTES, guarded, storedResponse } from "./ingest-http";

const SLUG = /^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/;

/** The InboundEvent source of a custom source's events. */
const customEventSource = (slug: string) => `custom:${slug}`;
export const isCustomEventSource = (source: string) => source.startsWith("custom:");

export function handleCustomSourcePost(req: Request, slug: string, db: Db = getDb()): Promise<Response> {
  const known = SLUG.test(slug);
  return guarded(known ? customEventSource(slug) : "custom", async (req, db, raw) => {
    const source = known ? await customSourceBySlug(db, slug) : null;
    if (!source) throw new HttpRefusal(404, `No custom source is named "${slug.slice(0, 60)}" (Admin → Integrations)`, "slug", "unknown_source");
    raw.bytes = await readBoundedBody(req, MAX_BODY_BYTES);
    const problem = customAuthProblem(source, req.headers, raw.bytes);
    if (problem) throw new HttpRefusal(401, problem.message, problem.header, "unauthorized");
    raw.authenticated = true;
    const payload = parseJsonBody(raw.bytes);
    const mapped = await runMapping(await mappingOf(db, source.id, source.version), payload);
    if (!mapped.ok) throw new HttpRefusal(400, `${mapped.reason} (mapping version ${source.version})`, mapped.field, "mapping_failed");
    const stored = await storeInboundEvents(
      db,
      customEventSource(source.slug),
      mapped.events.map((e) => ({
        externalId: e.event.context.id,
        type: e.event.context.type,
        specVersion: e.specVersion,
        payload: e.event,
        occurredAt: e.occurredAt,
        knownType: e.knownType,
      })),
    );
    const res = storedResponse(stored, mapped.events.length === 1);
    res.headers.set("x-pier-mapping-version", String(source.version));
    return res;
  })(req, db);
}
