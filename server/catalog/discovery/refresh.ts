// Reading a location: its files (one URL, or every repository of an organisation that has a catalog-info.yaml at
// its default branch root; archived repositories are skipped, as Backstage's GitHub provider does by default) are
// read with the ETag of their last read, and each changed file goes through the catalog's own import
// (../backstage-import.ts: every entity accepted or refused on its own, as the admin who registered the location).
// Then the location's list of entities is replaced by what its files list now: entities no longer listed are
// orphans (kept, marked, for their owner to delete). Every file 304: nothing is written but lastReadAt.
// A file that cannot be read or parsed keeps the entities it listed before (a broken read orphans nothing).
import { systemActor } from "../../audit/audit-log";
import { transaction, type Db } from "../../db";
import { DomainError } from "../../errors";
import { canAdminister } from "../../identity/access";
import { loadSessionUser } from "../../identity/users";
import { decryptJson } from "../../platform/secrets";
import { loadAllowList } from "../../platform/outbound-url";
import { importCatalogYaml, readBundleDocuments } from "../backstage-import";
import { refKey } from "../entity-relations";
import {
  DISCOVERED_FILE,
  fileLabel,
  guardedFetcher,
  listOrgRepositories,
  parseTarget,
  readFile,
  repositoryFile,
  SourceError,
  type Credentials,
  type Fetcher,
  type FileTarget,
} from "./location-source";
import { followedUnchanged, readFollowedFiles } from "./followed-files";
import { lockLocation, readLocation, recordRead, type ReadOutcome, type StoredLocation } from "./location-store";

/** What a location remembers per file it read: the ETag for the next conditional read, and the refs it listed. */
type FileMemory = { etag: string | null; refs: string[]; followed?: Record<string, string | null> };

const actor = systemActor("catalog-discovery");

/** The integration's token and API base (any integration kind whose secret holds a `token`). */
export async function loadCredentials(db: Db, name: string | null): Promise<Credentials> {
  if (!name) return {};
  const row = await db.kysely.selectFrom("Integration").select(["settings", "secretEncrypted"]).where("name", "=", name).executeTakeFirst();
  if (!row) throw new SourceError(`Integration "${name}" does not exist`);
  const secret = decryptJson<{ token?: unknown }>(row.secretEncrypted);
  const settings = (row.settings ?? {}) as { apiUrl?: unknown };
  return {
    ...(typeof secret.token === "string" && secret.token ? { token: secret.token } : {}),
    ...(typeof settings.apiUrl === "string" && settings.apiUrl ? { apiUrl: settings.apiUrl } : {}),
  };
}

/**
 * The refs a file lists, with the files its Location entities point at (every document with a kind and a name,
 * valid or not: a refused entity is still listed).
 */
async function listedRefs(text: string, path = DISCOVERED_FILE, files: { path: string; text: string }[] = []): Promise<string[]> {
  const docs = await readBundleDocuments(text, { path, bundle: { files: new Map(files.map((f) => [f.path, f.text])) } });
  const refs: string[] = [];
  for (const { value } of docs) {
    const v = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (typeof v?.kind !== "string" || typeof v.metadata?.name !== "string") continue;
    const namespace = typeof v.metadata.namespace === "string" ? v.metadata.namespace : "default";
    refs.push(refKey({ kind: v.kind, namespace, name: v.metadata.name }));
  }
  return refs;
}

export type RefreshResult = { status: "unchanged" | "ok" | "error" | "skipped"; message: string | null; orphaned: string[]; entities: number };

/** Reads the location now (workers' loop, or an admin's "refresh now"). Never throws for a provider's failure. */
export async function refreshLocation(db: Db, id: string, opts: { fetcher?: Fetcher } = {}): Promise<RefreshResult> {
  const loc = await readLocation(db.kysely, id);
  if (!loc || loc.example) return { status: "skipped", message: loc ? "example location: not read" : "no such location", orphaned: [], entities: 0 };
  let outcome: ReadOutcome;
  try {
    outcome = await read(db, loc, opts.fetcher ?? guardedFetcher(await loadAllowList(db.kysely)));
  } catch (err) {
    if (!(err instanceof SourceError || err instanceof DomainError)) throw err;
    outcome = { kind: "failed", error: err.message };
  }
  const { orphaned } = await transaction(db, async (tx) => {
    const current = await lockLocation(tx, id);
    // Deleted while it was being read: nothing to record.
    if (!current) return { orphaned: [] };
    return recordRead(tx, actor, current, outcome);
  });
  if (outcome.kind === "unchanged") return { status: "unchanged", message: null, orphaned, entities: loc.entityCount };
  if (outcome.kind === "failed") return { status: "error", message: outcome.error, orphaned, entities: loc.entityCount };
  return { status: outcome.problems ? "error" : "ok", message: outcome.problems, orphaned, entities: outcome.listed.length };
}

async function read(db: Db, loc: StoredLocation, fetcher: Fetcher): Promise<ReadOutcome> {
  const user = loc.createdById ? await loadSessionUser(db, loc.createdById) : null;
  const disabled = loc.createdById
    ? (await db.kysely.selectFrom("User").select("disabledAt").where("id", "=", loc.createdById).executeTakeFirst())?.disabledAt
    : null;
  if (!user || disabled || !canAdminister(user))
    throw new SourceError("The admin who registered this location is no longer an admin (or no longer exists): register it again");
  const creds = await loadCredentials(db, loc.integration);
  const target = parseTarget(loc.type, loc.target);
  const files: FileTarget[] =
    target.type === "url"
      ? [target.file]
      : (await listOrgRepositories(fetcher, target.org, creds)).filter((r) => !r.archived).map((r) => repositoryFile(target.org, r));
  const memory = (loc.etags ?? {}) as Record<string, FileMemory>;
  const next: Record<string, FileMemory> = {};
  const problems: string[] = [];
  let changed = false;
  let summary = { files: 0, created: 0, updated: 0, refused: 0 };
  for (const file of files) {
    const label = fileLabel(file);
    const before = memory[label];
    let r;
    try {
      r = await readFile(fetcher, file, creds, before?.etag ?? undefined);
    } catch (err) {
      if (!(err instanceof SourceError)) throw err;
      problems.push(err.message);
      if (before) next[label] = { etag: null, refs: before.refs };
      changed = true;
      continue;
    }
    if (r.status === "unchanged" && before) {
      if (await followedUnchanged(fetcher, file, creds, before.followed ?? {})) {
        next[label] = before;
        continue;
      }
      // A file it refers to changed: read it whole again.
      r = await readFile(fetcher, file, creds).catch((err: unknown) => {
        if (err instanceof SourceError) return { status: "unchanged" as const };
        throw err;
      });
    }
    // A repository that has no catalog-info.yaml and never had one changes nothing.
    if (r.status === "missing" && !before && target.type === "github-org") continue;
    changed = true;
    if (r.status === "missing" || r.status === "unchanged") {
      // A URL location whose file is gone lists nothing now (its entities become orphans); a repository without
      // the file is simply not part of the organisation's catalog.
      if (target.type === "url") problems.push(`${label} was not found (HTTP 404)`);
      continue;
    }
    try {
      const followed = await readFollowedFiles(fetcher, file, creds, r.text);
      const report = await importCatalogYaml(db, user, r.text, { path: file.path, files: followed.files });
      next[label] = { etag: r.etag, refs: await listedRefs(r.text, file.path, followed.files), followed: followed.etags };
      summary = {
        files: summary.files + 1,
        created: summary.created + report.counts.created,
        updated: summary.updated + report.counts.updated,
        refused: summary.refused + report.counts.error,
      };
      for (const e of report.entities.filter((x) => x.status === "error").slice(0, 5)) problems.push(`${label}: ${e.kind} ${e.name}: ${e.reason}`);
    } catch (err) {
      if (!(err instanceof DomainError || err instanceof SourceError)) throw err;
      problems.push(`${label}: ${err.message}`);
      if (before) next[label] = { etag: null, refs: before.refs };
    }
  }
  // A file remembered from the last read that is no longer read (its repository gone or archived) lists nothing.
  if (Object.keys(memory).some((label) => !(label in next) && memory[label].refs.length)) changed = true;
  if (!changed) return { kind: "unchanged" };
  const listed = Object.values(next).flatMap((f) => f.refs);
  return {
    kind: "read",
    etags: next,
    listed,
    problems: problems.length ? problems.join("\n").slice(0, 4000) : null,
    summary: `${summary.files} file(s) read: ${summary.created} created, ${summary.updated} updated, ${summary.refused} refused; ${listed.length} entities listed`,
  };
}
