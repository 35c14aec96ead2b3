// Backstage catalog import, processed as Backstage processes it: every entity is accepted or refused on its own,
// with its reason (unless `atomic`, for CI pipelines: then one refusal rolls the whole file back). Per entity:
// envelope, kind, placeholders ($text/$json/$yaml, relative to the file, within the uploaded bundle), the kind's
// Backstage JSON schema, Backstage's field-format rules, its references; then, in the one transaction, a no-change
// check first (re-importing an unchanged file is never a permission error), the write permission, the write (entity
// + relations) and its projection onto Pier's teams and services (./entity-projection.ts). Location entities are
// followed within the bundle. A rolled-back import (atomic, or a dry run) reports what it would have done, never
// "created". Limits: INLINE_IMPORT_LIMITS (bytes, documents), YAML aliases and nesting (./catalog-yaml.ts), and
// IMPORT_TIME_LIMIT_MS for the whole transaction. Larger files go to the background import (./import-runner.ts),
// which applies the same per-entity functions in chunks.
import { canonicalJson } from "../audit/audit-log";
import { sql, transaction, type Db, type Tx } from "../db";
import { env } from "../env";
import { badRequest } from "../errors";
import type { SessionUser } from "../identity/roles";
import { fieldFormatProblems } from "./backstage-format";
import { entityProblems, envelopeProblems, isSupportedKind, type SupportedKind } from "./backstage-schema";
import { ANNOTATION, type BackstageEntity } from "./backstage-mapping";
import { HTTP_URL_MESSAGE, isHttpUrl } from "../platform/input-rules";
import { bundlePath, resolveInBundle, resolvePlaceholders, type Bundle } from "./catalog-bundle";
import { readCatalogDocuments } from "./catalog-yaml";
import { refKey, refOfEntity, relationsOf, type Ref, type Relation } from "./entity-relations";
import { projectComponents, projectGroups, syncServiceDependencies, writeRefusal, type Projected } from "./entity-projection";
import { lockEntities, readEntities, sourcesPointingAt, writeEntities, type EntityWrite } from "./entity-store";
import { INLINE_IMPORT_LIMITS } from "./import-limits";
import { settleUserMappings } from "./user-mapping";

type ImportStatus = "created" | "updated" | "skipped" | "error";
export type ImportEntityResult = { index: number; kind: string; name: string; file?: string; status: ImportStatus; reason?: string; warnings?: string[] };
export type ImportReport = {
  applied: boolean;
  dryRun: boolean;
  atomic: boolean;
  counts: Record<ImportStatus, number>;
  /** What a dry run or a rolled-back atomic import would have created or updated (counted as skipped). */
  wouldBe: { created: number; updated: number };
  entities: ImportEntityResult[];
};

/** The whole import (validation and its one transaction) must finish within this; longer files go in parts. */
const IMPORT_TIME_LIMIT_MS = 20_000;
const ENTRY_FILE = "catalog-info.yaml";

class Rollback extends Error {
  constructor() {
    super("rollback");
  }
}

/** A document of the bundle: its value, the file it came from, and why reading it failed, if it did. */
export type CatalogDocument = { value: unknown; file: string; problem?: string; warnings?: string[] };

/** An entity that passed validation, ready to apply. */
export type Prepared = { index: number; kind: SupportedKind; entity: BackstageEntity; ref: Ref; key: string; relations: Relation[] };

type TooMany = (documents: number) => string;
const tooManyInline: TooMany = (n) =>
  `The file holds ${n} documents; at most ${INLINE_IMPORT_LIMITS.documents} are imported per request (import it in the background, or split the file)`;

/**
 * The entry file's documents, then those of every file a Location entity points at (once each, relative to the
 * Location's file, within the bundle). A Location target that cannot be followed is that Location's problem.
 */
export async function readBundleDocuments(
  text: string,
  opts: { path?: string; bundle?: Bundle; limits?: { bytes: number; documents: number }; tooMany?: TooMany } = {},
) {
  const limits = opts.limits ?? INLINE_IMPORT_LIMITS;
  const tooMany = opts.tooMany ?? tooManyInline;
  const bundle = opts.bundle ?? { files: new Map<string, string>() };
  const entry = bundlePath(opts.path ?? ENTRY_FILE);
  const seen = new Set<string>([entry]);
  const out: CatalogDocument[] = [];
  const queue: { file: string; text: string }[] = [{ file: entry, text }];
  while (queue.length) {
    const { file, text: t } = queue.shift()!;
    for (const value of await readCatalogDocuments(t, limits, tooMany)) {
      if (out.length >= limits.documents) throw badRequest(tooMany(out.length + 1), "yaml");
      const doc: CatalogDocument = { value, file };
      out.push(doc);
      const v = value as { kind?: unknown; spec?: { target?: unknown; targets?: unknown } };
      if (v?.kind !== "Location") continue;
      const targets = [v.spec?.target, ...(Array.isArray(v.spec?.targets) ? v.spec.targets : [])].filter((x): x is string => typeof x === "string");
      const problems: string[] = [];
      for (const target of targets) {
        try {
          const found = resolveInBundle(file, target);
          const next = bundle.files.get(found);
          // As in Backstage, a target that is not there is the location's warning, not a reason to refuse it.
          if (next === undefined) (doc.warnings ??= []).push(`Location target "${target}" (${found}) is not in the uploaded bundle`);
          else if (!seen.has(found)) {
            seen.add(found);
            queue.push({ file: found, text: next });
          }
        } catch (err) {
          problems.push(`Location target ${(err as Error).message}`);
        }
      }
      if (problems.length) doc.problem = problems.join("; ");
    }
  }
  return out;
}

/** Validates every entity on its own, as Backstage does, with no database. */
export function prepareEntities(docs: CatalogDocument[], bundle: Bundle = { files: new Map() }): { results: ImportEntityResult[]; prepared: Prepared[] } {
  const results: ImportEntityResult[] = [];
  const prepared: Prepared[] = [];
  const taken = new Map<string, number>();
  docs.forEach((doc, index) => {
    const meta = (doc.value as { metadata?: { name?: unknown } })?.metadata;
    const kind = String((doc.value as { kind?: unknown })?.kind ?? "?");
    const name = typeof meta?.name === "string" ? meta.name : "?";
    const refuse = (reason: string, status: ImportStatus = "error") => results.push({ index, kind, name, file: doc.file, status, reason });
    if (doc.problem) return refuse(doc.problem);
    const envelope = envelopeProblems(doc.value);
    if (envelope.length) return refuse(envelope.join("; "));
    if (!isSupportedKind(kind)) return refuse(`Pier does not import ${kind} entities`, "skipped");
    let value: unknown;
    try {
      value = resolvePlaceholders(doc.value, doc.file, bundle);
    } catch (err) {
      return refuse((err as Error).message);
    }
    const problems = [...entityProblems(kind, value), ...fieldFormatProblems(value), ...unsafeUrlProblems(value as BackstageEntity)];
    if (problems.length) return refuse(problems.join("; "));
    const entity = value as BackstageEntity;
    let relations: Relation[];
    try {
      relations = relationsOf(entity);
    } catch (err) {
      return refuse((err as Error).message);
    }
    const ref = refOfEntity(entity);
    const key = refKey(ref);
    const dup = taken.get(key);
    if (dup !== undefined) return refuse(`Entity ${dup + 1} is also ${key}`);
    taken.set(key, index);
    prepared.push({ index, kind, entity, ref, key, relations });
    results.push({ index, kind, name, file: doc.file, status: "skipped", reason: "pending", ...(doc.warnings ? { warnings: doc.warnings } : {}) });
  });
  return { results, prepared };
}

/**
 * Pier renders links and the on-call URL as links, so it holds them to the service form's rule (http(s); mailto: for
 * links too): a javascript: or data: URL is refused, which Backstage's own URL check would let through.
 */
function unsafeUrlProblems(e: BackstageEntity): string[] {
  const problems: string[] = [];
  (e.metadata?.links ?? []).forEach((l, i) => {
    if (typeof l?.url === "string" && !isHttpUrl(l.url) && !/^mailto:/i.test(l.url)) problems.push(`metadata.links[${i}].url: ${HTTP_URL_MESSAGE}`);
  });
  const onCall = e.metadata?.annotations?.[ANNOTATION.onCallUrl];
  if (typeof onCall === "string" && !isHttpUrl(onCall)) problems.push(`Annotation ${ANNOTATION.onCallUrl}: ${HTTP_URL_MESSAGE}`);
  return problems;
}

/** What applying one entity did. */
export type Applied = { status: "created" | "updated" | "unchanged" | "error"; reason?: string; warnings?: string[] };

/**
 * Writes entities (each: no-change check first, then permission) with one lock and one batched write for all of
 * them, by index. Their projections are settled afterwards (settleEntities).
 */
export async function applyEntities(tx: Tx, user: SessionUser, items: readonly Prepared[]): Promise<Map<number, Applied>> {
  const out = new Map<number, Applied>();
  const stored = await lockEntities(
    tx,
    items.map((p) => p.key),
  );
  const writes: EntityWrite[] = [];
  for (const p of items) {
    const before = stored.get(p.key);
    if (before && canonicalJson(before.entity) === canonicalJson(p.entity)) {
      out.set(p.index, { status: "unchanged", reason: "no changes" });
      continue;
    }
    // Admins are never refused (no query); others' refusals depend on teams and services, not on this batch.
    const refusal = await writeRefusal(tx, user, p.entity, before);
    if (refusal) {
      out.set(p.index, { status: "error", reason: refusal });
      continue;
    }
    writes.push({ ref: p.ref, entity: p.entity, relations: p.relations, before });
    out.set(p.index, { status: before ? "updated" : "created", reason: before ? "changed" : `new ${p.kind}` });
  }
  await writeEntities(tx, user, writes);
  return out;
}

/** Relation types whose arrival can change a projection (a team for an owner, a service to depend on). */
const SETTLING = ["ownedBy", "dependsOn"];

/**
 * Brings the projections of the given entities, and of every entity pointing at them, up to date: Groups become
 * teams, Users (when mapped) Pier users' memberships, Components services, dependsOn service dependencies. Returns, per ref, whether a projection changed and
 * its warnings. This is what makes the result independent of the import order.
 */
export async function settleEntities(tx: Tx, user: SessionUser, refs: readonly string[]) {
  const out = new Map<string, { changed: boolean; warnings: string[] }>();
  const record = (projected: Map<string, Projected>) => {
    for (const [ref, r] of projected) out.set(ref, { changed: r.changed, warnings: r.warning ? [r.warning] : [] });
  };
  const groups = (await readEntities(tx, refs)).filter((e) => e.kind === "Group");
  record(await projectGroups(tx, user, groups));
  // Users to Pier accounts and their memberOf to memberships, when the admin setting is on (the teams exist by now).
  await settleUserMappings(tx, user, refs);
  const pointing = await sourcesPointingAt(tx, refs, SETTLING);
  const components = (await readEntities(tx, [...new Set([...refs, ...pointing])])).filter((e) => e.kind === "Component");
  // Every service first, then the dependencies between them (a dependency may be on a service projected later).
  record(await projectComponents(tx, user, components));
  const linked = await readEntities(
    tx,
    components.map((c) => c.ref),
  );
  for (const ref of await syncServiceDependencies(tx, user, linked)) out.get(ref)!.changed = true;
  return out;
}

export type ImportOptions = { dryRun?: boolean; atomic?: boolean; timeLimitMs?: number; path?: string; files?: { path: string; text: string }[] };

export async function importCatalogYaml(db: Db, user: SessionUser, text: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const limit = opts.timeLimitMs ?? IMPORT_TIME_LIMIT_MS;
  const deadline = Date.now() + limit;
  const inTime = () => {
    if (Date.now() > deadline) throw badRequest(`The import took longer than ${limit / 1000} s and was not applied; import the file in smaller parts`, "yaml");
  };
  const bundle = bundleOf(opts.files ?? []);
  const docs = await readBundleDocuments(text, { path: opts.path, bundle });
  const { results, prepared } = prepareEntities(docs, bundle);
  const byIndex = new Map(results.map((r) => [r.index, r]));

  let applied = false;
  const wouldBe = { created: 0, updated: 0 };
  try {
    await transaction(db, async (tx) => {
      // No single statement may outlast what is left of the request's time (never above the pool's own timeout).
      const configured = env().PIER_DB_STATEMENT_TIMEOUT_MS || Number.POSITIVE_INFINITY;
      const timeout = Math.max(1000, Math.min(configured, deadline - Date.now()));
      await sql`SELECT set_config('statement_timeout', ${String(timeout)}, true)`.execute(tx);
      const touched: string[] = [];
      inTime();
      const outcomes = await applyEntities(tx, user, prepared);
      for (const p of prepared) {
        const r = outcomes.get(p.index)!;
        Object.assign(byIndex.get(p.index)!, { status: r.status === "unchanged" ? "skipped" : r.status, reason: r.reason });
        if (r.status !== "error") touched.push(p.key);
      }
      inTime();
      const settled = await settleEntities(tx, user, touched);
      for (const p of prepared) {
        const s = settled.get(p.key);
        const r = byIndex.get(p.index)!;
        if (!s || r.status === "error") continue;
        if (s.warnings.length) r.warnings = [...(r.warnings ?? []), ...s.warnings];
        if (s.changed && r.status === "skipped") Object.assign(r, { status: "updated", reason: "Pier service or team updated" });
      }
      if (opts.dryRun || (opts.atomic && results.some((r) => r.status === "error"))) throw new Rollback();
    });
    applied = true;
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    const why = opts.dryRun ? "dry run" : `not applied: ${results.filter((r) => r.status === "error").length} entities were refused and the import is atomic`;
    for (const r of results) {
      if (r.status !== "created" && r.status !== "updated") continue;
      wouldBe[r.status]++;
      Object.assign(r, { status: "skipped", reason: `would be ${r.status} (${why})` });
    }
  }
  const counts: Record<ImportStatus, number> = { created: 0, updated: 0, skipped: 0, error: 0 };
  for (const r of results) counts[r.status]++;
  return { applied, dryRun: !!opts.dryRun, atomic: !!opts.atomic, counts, wouldBe, entities: results };
}

function bundleOf(files: { path: string; text: string }[]): Bundle {
  const map = new Map<string, string>();
  for (const f of files) {
    try {
      map.set(bundlePath(f.path), f.text);
    } catch (err) {
      throw badRequest((err as Error).message, "files");
    }
  }
  return { files: map };
}
