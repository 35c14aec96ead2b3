// The files a discovered catalog file refers to in its own repository, read as its bundle: Location entities'
// `target`/`targets` and `$text`/`$json`/`$yaml` placeholders, relative to the file that names them (the `all.yaml`
// pattern Backstage users register). URLs and paths leaving the repository are not followed here (the import
// reports them as Backstage would); at most MAX_FOLLOWED files per location file.
import { INLINE_IMPORT_LIMITS } from "../import-limits";
import { resolveInBundle } from "../catalog-bundle";
import { readCatalogDocuments } from "../catalog-yaml";
import { readFile, SourceError, type Credentials, type Fetcher, type FileTarget } from "./location-source";

const MAX_FOLLOWED = 50;

/** Relative paths a document refers to (Location targets, placeholders), as written. */
function referencedPaths(value: unknown): string[] {
  const out: string[] = [];
  const v = value as { kind?: unknown; spec?: { target?: unknown; targets?: unknown } } | null;
  if (v?.kind === "Location") {
    for (const t of [v.spec?.target, ...(Array.isArray(v.spec?.targets) ? v.spec.targets : [])]) if (typeof t === "string") out.push(t);
  }
  const walk = (x: unknown) => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== "object") return;
    const entries = Object.entries(x);
    if (entries.length === 1 && ["$text", "$json", "$yaml"].includes(entries[0][0]) && typeof entries[0][1] === "string") out.push(entries[0][1]);
    else entries.forEach(([, child]) => walk(child));
  };
  walk(value);
  return out;
}

/** Bundle paths (relative to the repository root) `text`, at `path`, refers to. */
async function pathsIn(text: string, path: string): Promise<string[]> {
  let docs: unknown[];
  try {
    docs = await readCatalogDocuments(text, INLINE_IMPORT_LIMITS, (n) => `${n} documents`);
  } catch {
    // A file that does not read as YAML refers to nothing (a placeholder's text file, or the import's error).
    return [];
  }
  const out: string[] = [];
  for (const target of docs.flatMap(referencedPaths)) {
    try {
      out.push(resolveInBundle(path, target));
    } catch {
      // A URL or a path outside the repository: left to the import, which reports it.
    }
  }
  return out;
}

export type Followed = { files: { path: string; text: string }[]; etags: Record<string, string | null> };

/** Reads every file `text` (at `file.path`) refers to, transitively, from the same repository and ref. */
export async function readFollowedFiles(fetcher: Fetcher, file: FileTarget, creds: Credentials, text: string): Promise<Followed> {
  const seen = new Set([file.path]);
  const queue = await pathsIn(text, file.path);
  const out: Followed = { files: [], etags: {} };
  while (queue.length && out.files.length < MAX_FOLLOWED) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const r = await readFile(fetcher, { ...file, path }, creds);
    if (r.status !== "changed") continue;
    out.files.push({ path, text: r.text });
    out.etags[path] = r.etag;
    queue.push(...(await pathsIn(r.text, path)));
  }
  return out;
}

/** True when every followed file still answers 304 to its ETag (a file without one counts as changed). */
export async function followedUnchanged(fetcher: Fetcher, file: FileTarget, creds: Credentials, etags: Record<string, string | null>): Promise<boolean> {
  for (const [path, etag] of Object.entries(etags)) {
    if (!etag) return false;
    try {
      if ((await readFile(fetcher, { ...file, path }, creds, etag)).status !== "unchanged") return false;
    } catch (err) {
      if (err instanceof SourceError) return false;
      throw err;
    }
  }
  return true;
}
