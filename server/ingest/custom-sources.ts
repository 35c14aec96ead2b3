// Custom event sources (CDviz's "custom event sources"): an admin defines a source — how it authenticates (a bearer
// token, an HMAC of the raw body in a header with its algorithm and encoding, or basic auth) and a JSONata mapping
// (jsonata 2.x) from the JSON it sends to one CDEvent or an array of them. The only writer of CustomSource and
// CustomSourceMapping. Mappings are versioned and immutable: a new version becomes the source's current one and
// applies to events received from then on (an event is mapped when it arrives, with the version current then);
// every change is audited. The mapping's output is validated against the CDEvents schemas (./cdevents.ts), in the
// live preview and at intake, naming the first invalid field.
import { createHmac, timingSafeEqual, createHash } from "node:crypto";
import jsonata from "jsonata";
import { recordAudit, type Actor } from "../audit/audit-log";
import { announceInvalidation, newId, onInvalidation, transaction, type Db } from "../db";
import { badRequest, conflict, notFound } from "../errors";
import { decryptJson, encryptJson, maskSecret } from "../platform/secrets";
import { validateCdeventList, type ValidationSuccess } from "./cdevents";
import { matchesSharedSecret } from "./gitlab-webhooks";

export const CUSTOM_AUTH_TYPES = ["bearer", "hmac", "basic"] as const;
type CustomAuthType = (typeof CUSTOM_AUTH_TYPES)[number];
export const HMAC_ALGORITHMS = ["sha256", "sha512", "sha1"] as const;
export const HMAC_ENCODINGS = ["hex", "base64"] as const;

export type CustomSourceSettings = {
  /** hmac: the header carrying the signature, e.g. X-Signature */
  header?: string;
  algorithm?: (typeof HMAC_ALGORITHMS)[number];
  encoding?: (typeof HMAC_ENCODINGS)[number];
  /** hmac: text before the signature in the header, e.g. "sha256=" */
  prefix?: string;
  /** basic: the user name */
  username?: string;
  hint?: string;
  /** The hint of the secret being rotated in, while two are active. */
  nextHint?: string | null;
};

export type CustomSourceInput = {
  slug: string;
  name: string;
  authType: CustomAuthType;
  settings: CustomSourceSettings;
  secret: string;
  expression: string;
};

const SLUG = /^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/;
const HEADER = /^[A-Za-z0-9-]{1,80}$/;
const MAX_EXPRESSION_CHARS = 20_000;

/** Compiles a JSONata expression; a syntax error is a 400 on `expression` with JSONata's message and position. */
function compileMapping(expression: string) {
  if (!expression.trim()) throw badRequest("Write a JSONata mapping that returns a CDEvent or an array of them", "expression");
  if (expression.length > MAX_EXPRESSION_CHARS) throw badRequest(`The mapping must be at most ${MAX_EXPRESSION_CHARS} characters`, "expression");
  try {
    return jsonata(expression);
  } catch (err) {
    const e = err as { message?: string; position?: number };
    throw badRequest(`JSONata syntax error${e.position !== undefined ? ` at character ${e.position}` : ""}: ${e.message ?? "invalid"}`, "expression");
  }
}

export type MappingResult =
  { ok: true; events: ValidationSuccess[] } | { ok: false; stage: "evaluate" | "validate"; field: string; reason: string; output?: unknown };

/** Runs a compiled mapping on one incoming JSON body and validates what it returns as CDEvents. */
export async function runMapping(expr: ReturnType<typeof jsonata>, input: unknown): Promise<MappingResult> {
  let output: unknown;
  try {
    output = await expr.evaluate(input);
  } catch (err) {
    return { ok: false, stage: "evaluate", field: "expression", reason: `The mapping failed: ${(err as Error).message ?? String(err)}` };
  }
  if (output === undefined || output === null)
    return { ok: false, stage: "evaluate", field: "expression", reason: "The mapping returned nothing for this event (no CDEvent)" };
  const array = Array.isArray(output);
  const items = (array ? (output as unknown[]) : [output]).map((value, i) => ({ value, path: array ? `[${i}].` : "" }));
  const result = validateCdeventList(items, array);
  if (!result.ok) return { ok: false, stage: "validate", field: result.field, reason: `The mapping's output is not a valid CDEvent: ${result.reason}`, output };
  return { ok: true, events: result.events };
}

/** Admin → Integrations' live preview: the mapping's output on a pasted sample, or where it goes wrong. */
export async function previewMapping(expression: string, sample: string) {
  const expr = compileMapping(expression);
  let input: unknown;
  try {
    input = JSON.parse(sample);
  } catch (err) {
    throw badRequest(`The sample is not JSON: ${(err as Error).message}`, "sample");
  }
  const r = await runMapping(expr, input);
  return r.ok
    ? { ok: true as const, events: r.events.map((e) => e.event) }
    : { ok: false as const, field: r.field, reason: r.reason, output: r.output ?? null };
}

function checkSettings(authType: CustomAuthType, s: CustomSourceSettings): CustomSourceSettings {
  if (authType === "hmac") {
    if (!s.header || !HEADER.test(s.header)) throw badRequest("Name the header that carries the signature (letters, digits and -)", "settings.header");
    if (!HMAC_ALGORITHMS.includes(s.algorithm!)) throw badRequest(`The algorithm is one of ${HMAC_ALGORITHMS.join(", ")}`, "settings.algorithm");
    if (!HMAC_ENCODINGS.includes(s.encoding!)) throw badRequest(`The encoding is one of ${HMAC_ENCODINGS.join(", ")}`, "settings.encoding");
    if ((s.prefix ?? "").length > 40) throw badRequest("The prefix is at most 40 characters", "settings.prefix");
    return { header: s.header, algorithm: s.algorithm, encoding: s.encoding, prefix: s.prefix ?? "" };
  }
  if (authType === "basic") {
    if (!s.username || s.username.includes(":") || s.username.length > 100) throw badRequest("Give the user name (no colon)", "settings.username");
    return { username: s.username };
  }
  return {};
}

export const CUSTOM_SOURCES_TOPIC = "custom-sources";
/** The encrypted secrets: `secret` in use, `next` being rotated in (./custom-source-secrets.ts); both are accepted. */
export type StoredSecrets = { secret: string; next?: string };
export const activeSecrets = (s: StoredSecrets): string[] => [s.secret, ...(s.next ? [s.next] : [])].filter(Boolean);
const CACHE_TOPIC = CUSTOM_SOURCES_TOPIC;
/** secrets: every active one (two while the sender switches over, ./custom-source-secrets.ts). */
type CachedSource = { id: string; slug: string; authType: CustomAuthType; settings: CustomSourceSettings; secrets: string[]; version: number };
type Cache = { until: number; bySlug: Map<string, CachedSource | null> };
const caches = new Map<Db, Cache>();
const CACHE_MS = 15_000;
/** Compiled mappings by source id and version: versions never change, so these never go stale. */
const compiledMappings = new Map<string, ReturnType<typeof jsonata>>();

function cacheOf(db: Db): Cache {
  let c = caches.get(db);
  if (!c) {
    const created: Cache = { until: Date.now() + CACHE_MS, bySlug: new Map() };
    caches.set(db, created);
    onInvalidation(db, CACHE_TOPIC, () => created.bySlug.clear());
    c = created;
  }
  if (c.until < Date.now()) {
    c.bySlug.clear();
    c.until = Date.now() + CACHE_MS;
  }
  return c;
}

/** The source behind /api/webhooks/custom/<slug>, with its secret and current mapping version (cached briefly). */
export async function customSourceBySlug(db: Db, slug: string): Promise<CachedSource | null> {
  const cache = cacheOf(db);
  if (cache.bySlug.has(slug)) return cache.bySlug.get(slug)!;
  const row = await db.kysely
    .selectFrom("CustomSource")
    .select(["id", "slug", "authType", "settings", "secretEncrypted", "currentVersion"])
    .where("slug", "=", slug)
    .executeTakeFirst();
  const source = row
    ? {
        id: row.id,
        slug: row.slug,
        authType: row.authType as CustomAuthType,
        settings: row.settings as CustomSourceSettings,
        secrets: activeSecrets(decryptJson<StoredSecrets>(row.secretEncrypted)),
        version: row.currentVersion,
      }
    : null;
  if (cache.bySlug.size > 1000) cache.bySlug.clear();
  cache.bySlug.set(slug, source);
  return source;
}

/** The compiled mapping of one version of a source. */
export async function mappingOf(db: Db, sourceId: string, version: number) {
  const key = `${sourceId}@${version}`;
  const hit = compiledMappings.get(key);
  if (hit) return hit;
  const row = await db.kysely
    .selectFrom("CustomSourceMapping")
    .select("expression")
    .where("sourceId", "=", sourceId)
    .where("version", "=", version)
    .executeTakeFirst();
  if (!row) throw notFound(`Mapping version ${version}`);
  const expr = compileMapping(row.expression);
  compiledMappings.set(key, expr);
  return expr;
}

const digest = (s: string | Buffer) => createHash("sha256").update(s).digest();
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));
/**
 * Whether `given` is one of the active secrets; every one is compared, so the time taken tells nothing (the secrets'
 * digests are kept per cached source).
 */
const anySecret = (given: string, secrets: string[]) => matchesSharedSecret(given, secrets);

/** Why a request does not authenticate as the source (header + reason), or null when it does. Constant-time. */
export function customAuthProblem(source: CachedSource, headers: Headers, raw: Uint8Array): { header: string; message: string } | null {
  const auth = headers.get("authorization") ?? "";
  switch (source.authType) {
    case "bearer": {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
      if (!token) return { header: "Authorization", message: "Authorization: Bearer <token> is missing" };
      return anySecret(token, source.secrets) ? null : { header: "Authorization", message: "The bearer token is not this source's" };
    }
    case "basic": {
      const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth)?.[1];
      if (!encoded) return { header: "Authorization", message: "Authorization: Basic <credentials> is missing" };
      const decoded = Buffer.from(encoded, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const userOk = sameSecret(colon >= 0 ? decoded.slice(0, colon) : decoded, source.settings.username ?? "");
      const passOk = anySecret(colon >= 0 ? decoded.slice(colon + 1) : "", source.secrets);
      return userOk && passOk ? null : { header: "Authorization", message: "The user name or password is not this source's" };
    }
    case "hmac": {
      const { header = "", algorithm = "sha256", encoding = "hex", prefix = "" } = source.settings;
      const value = headers.get(header)?.trim();
      if (!value) return { header, message: `${header} is missing (the ${algorithm} HMAC of the body)` };
      if (prefix && !value.startsWith(prefix)) return { header, message: `${header} must start with ${prefix}` };
      const given = Buffer.from(value.slice(prefix.length), encoding);
      const matches = source.secrets.map((secret) => {
        const expected = createHmac(algorithm, secret).update(raw).digest();
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
      return matches.some(Boolean) ? null : { header, message: `${header} does not match the body` };
    }
  }
}

/** Creates a source with mapping version 1 (audited). The secret is shown to the admin once, by them. */
export async function createCustomSource(db: Db, actor: Actor, input: CustomSourceInput) {
  const slug = input.slug.trim().toLowerCase();
  if (!SLUG.test(slug)) throw badRequest("The slug is 3-50 lowercase letters, digits and -", "slug");
  const name = input.name.trim();
  if (name.length < 2 || name.length > 80) throw badRequest("Name the source (2-80 characters)", "name");
  if (!CUSTOM_AUTH_TYPES.includes(input.authType)) throw badRequest(`Authentication is one of ${CUSTOM_AUTH_TYPES.join(", ")}`, "authType");
  if (input.secret.length < 16 || input.secret.length > 500) throw badRequest("Use a secret of 16 to 500 characters", "secret");
  const settings = { ...checkSettings(input.authType, input.settings), hint: maskSecret(input.secret) };
  compileMapping(input.expression);
  const created = await transaction(db, async (tx) => {
    const taken = await tx.selectFrom("CustomSource").select("id").where("slug", "=", slug).executeTakeFirst();
    if (taken) throw conflict(`A source named ${slug} exists`, "slug");
    const row = await tx
      .insertInto("CustomSource")
      .values({
        id: newId(),
        slug,
        name,
        authType: input.authType,
        settings: JSON.stringify(settings),
        secretEncrypted: encryptJson({ secret: input.secret }),
        currentVersion: 1,
        updatedAt: new Date(),
      })
      .returning(["id", "slug", "name", "authType", "currentVersion"])
      .executeTakeFirstOrThrow();
    await tx
      .insertInto("CustomSourceMapping")
      .values({ id: newId(), sourceId: row.id, version: 1, expression: input.expression, createdById: actor.id })
      .execute();
    recordAudit(tx, {
      actor,
      action: "custom_source.created",
      subjectType: "custom_source",
      subjectId: row.id,
      after: { slug, name, authType: input.authType, settings, version: 1, expression: input.expression },
    });
    announceInvalidation(tx, CACHE_TOPIC);
    return row;
  });
  cacheOf(db).bySlug.delete(slug);
  return created;
}

/** A new mapping version, current from now on: events already received keep the version they were mapped with. */
export async function publishMappingVersion(db: Db, actor: Actor, input: { sourceId: string; expression: string }) {
  compileMapping(input.expression);
  const result = await transaction(db, async (tx) => {
    const source = await tx.selectFrom("CustomSource").select(["id", "slug", "currentVersion"]).where("id", "=", input.sourceId).forUpdate().executeTakeFirst();
    if (!source) throw notFound("Custom source");
    const previous = await tx
      .selectFrom("CustomSourceMapping")
      .select("expression")
      .where("sourceId", "=", source.id)
      .where("version", "=", source.currentVersion)
      .executeTakeFirst();
    const version = source.currentVersion + 1;
    await tx
      .insertInto("CustomSourceMapping")
      .values({ id: newId(), sourceId: source.id, version, expression: input.expression, createdById: actor.id })
      .execute();
    await tx.updateTable("CustomSource").set({ currentVersion: version, updatedAt: new Date() }).where("id", "=", source.id).execute();
    recordAudit(tx, {
      actor,
      action: "custom_source.mapping_published",
      subjectType: "custom_source",
      subjectId: source.id,
      before: { version: source.currentVersion, expression: previous?.expression ?? null },
      after: { version, expression: input.expression },
    });
    announceInvalidation(tx, CACHE_TOPIC);
    return { id: source.id, slug: source.slug, version };
  });
  cacheOf(db).bySlug.delete(result.slug);
  return result;
}

export async function deleteCustomSource(db: Db, actor: Actor, id: string) {
  await transaction(db, async (tx) => {
    const row = await tx.deleteFrom("CustomSource").where("id", "=", id).returning(["id", "slug", "name"]).executeTakeFirst();
    if (!row) throw notFound("Custom source");
    recordAudit(tx, { actor, action: "custom_source.deleted", subjectType: "custom_source", subjectId: id, before: row });
    announceInvalidation(tx, CACHE_TOPIC);
  });
  cacheOf(db).bySlug.clear();
}

/** Drops this process's cached copy of a source (after a change announced to the others with CUSTOM_SOURCES_TOPIC). */
export function forgetCustomSource(db: Db, slug: string) {
  cacheOf(db).bySlug.delete(slug);
}

/** Admin → Integrations: every source with its current mapping and the versions before it (newest first). */
export async function listCustomSources(db: Db) {
  const sources = await db.kysely
    .selectFrom("CustomSource")
    .select(["id", "slug", "name", "authType", "settings", "currentVersion", "createdAt"])
    .orderBy("slug")
    .execute();
  if (sources.length === 0) return [];
  const mappings = await db.kysely
    .selectFrom("CustomSourceMapping")
    .select(["sourceId", "version", "expression", "createdAt"])
    .where(
      "sourceId",
      "in",
      sources.map((s) => s.id),
    )
    .orderBy("version", "desc")
    .execute();
  return sources.map((s) => {
    const { hint, nextHint, ...settings } = s.settings as CustomSourceSettings;
    return {
      ...s,
      settings,
      hint: hint ?? "••••",
      nextHint: nextHint ?? null,
      versions: mappings.filter((m) => m.sourceId === s.id).map(({ version, expression, createdAt }) => ({ version, expression, createdAt })),
    };
  });
}
