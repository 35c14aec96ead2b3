// An uploaded catalog bundle: the file imported plus the files next to it (paths relative to the bundle's root).
// As Backstage does, `$text`/`$json`/`$yaml` placeholders are resolved relative to the file that holds them, and
// Location entities are followed (their targets relative to their file). Nothing outside the bundle is read: a
// path escaping it or an absolute URL is refused for that entity (discovery reads URLs, not an upload).
import path from "node:path/posix";
import YAML from "yaml";

export type Bundle = { files: ReadonlyMap<string, string> };

/** A bundle path relative to `fromFile`'s folder, or an Error naming why it is refused. */
export function resolveInBundle(fromFile: string, target: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) throw new Error(`"${target}" is a URL; an uploaded bundle can only refer to its own files`);
  if (target.startsWith("/")) throw new Error(`"${target}" is an absolute path; use a path relative to ${fromFile}`);
  const joined = path.normalize(path.join(path.dirname(fromFile), target));
  if (joined === ".." || joined.startsWith("../")) throw new Error(`"${target}" points outside the uploaded bundle`);
  return joined.replace(/^\.\//, "");
}

/** Normalises an uploaded file's path (leading "./" or "/" dropped), or throws when it escapes the root. */
export function bundlePath(p: string): string {
  const n = path.normalize(p.replace(/^\/+/, ""));
  if (n === ".." || n.startsWith("../")) throw new Error(`"${p}" is not a path inside the bundle`);
  return n;
}

const RESOLVERS: Record<string, (text: string) => unknown> = {
  $text: (t) => t,
  $json: (t) => JSON.parse(t),
  $yaml: (t) => YAML.parse(t, { maxAliasCount: 100 }),
};

/**
 * The value with every placeholder (an object whose one key is $text, $json or $yaml) replaced by the file it names,
 * read relative to `file`. Throws a readable Error for a missing or unreadable file, or one outside the bundle.
 */
export function resolvePlaceholders(value: unknown, file: string, bundle: Bundle): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, file, bundle));
  if (!value || typeof value !== "object") return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0][0].startsWith("$")) {
    const [key, target] = entries[0];
    const resolve = RESOLVERS[key];
    if (!resolve) throw new Error(`Unknown placeholder ${key} (Backstage knows $text, $json and $yaml)`);
    if (typeof target !== "string") throw new Error(`Placeholder ${key} must name a file`);
    const found = resolveInBundle(file, target);
    const text = bundle.files.get(found);
    if (text === undefined) throw new Error(`Placeholder ${key}: "${target}" (${found}) is not in the uploaded bundle`);
    try {
      return resolve(text);
    } catch (err) {
      throw new Error(`Placeholder ${key}: ${found} cannot be read: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolvePlaceholders(v, file, bundle)]));
}
