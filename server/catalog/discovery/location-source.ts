// Where a catalog location's files are read from, and how: a GitHub or GitLab file URL, or a GitHub organisation
// whose repositories each may hold a catalog-info.yaml at their default branch's root. Files are read through the
// providers' REST APIs (so a token works for private repositories, and ETags make an unchanged file a 304 that
// costs nothing against the rate limit), every call through the outbound URL guard (../../platform/outbound-url.ts).
//   GitHub  GET {api}/repos/{owner}/{repo}/contents/{path}?ref={ref}  Accept: application/vnd.github.raw+json
//           GET {api}/orgs/{org}/repos?per_page=100                  (pages followed through the Link header)
//   GitLab  GET {api}/projects/{id}/repository/files/{path}/raw?ref={ref}  PRIVATE-TOKEN
// The API base is the integration's `settings.apiUrl` when set (GitHub Enterprise, a self-managed GitLab, a fake in
// tests), else https://api.github.com for github.com, https://<host>/api/v3 for other GitHub hosts and
// https://<host>/api/v4 for GitLab.
import { badRequest } from "../../errors";
import { checkOutboundUrl, fetchChecked } from "../../platform/outbound-url";

export const LOCATION_TYPES = ["url", "github-org"] as const;
export type LocationType = (typeof LOCATION_TYPES)[number];

/** The file discovery looks for at the root of each repository of an organisation. */
export const DISCOVERED_FILE = "catalog-info.yaml";
/** The largest file read (as the inline import's limit). */
const MAX_FILE_BYTES = 2_000_000;
/** An organisation scan reads at most this many repositories (10 pages of 100). */
const MAX_ORG_PAGES = 10;

export type FileTarget =
  | { provider: "github"; host: string; owner: string; repo: string; ref: string; path: string }
  | { provider: "gitlab"; host: string; project: string; ref: string; path: string };
export type OrgTarget = { provider: "github"; host: string; org: string };
export type ParsedTarget = { type: "url"; file: FileTarget } | { type: "github-org"; org: OrgTarget };

const segments = (u: URL) => u.pathname.split("/").filter(Boolean).map(decodeURIComponent);

/**
 * The location's target as a file or an organisation, or a 400 naming `target` that says which URL forms work:
 * https://github.com/<owner>/<repo>/blob/<ref>/<path>, https://raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>,
 * https://<gitlab host>/<group>/<project>/-/blob/<ref>/<path> (or /-/raw/), and https://github.com/<org> for an org.
 */
export function parseTarget(type: LocationType, raw: string): ParsedTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badRequest("The target must be a URL", "target");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw badRequest("The target must be an http(s) URL", "target");
  const host = u.host.toLowerCase();
  const s = segments(u);
  if (type === "github-org") {
    if (s.length !== 1 || !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(s[0]))
      throw badRequest("An organisation is https://github.com/<org> (or your GitHub Enterprise host)", "target");
    return { type, org: { provider: "github", host, org: s[0] } };
  }
  if (host === "raw.githubusercontent.com" && s.length >= 4)
    return { type, file: { provider: "github", host: "github.com", owner: s[0], repo: s[1], ref: s[2], path: s.slice(3).join("/") } };
  const dash = s.indexOf("-");
  if (dash >= 2 && (s[dash + 1] === "blob" || s[dash + 1] === "raw") && s.length >= dash + 4)
    return { type, file: { provider: "gitlab", host, project: s.slice(0, dash).join("/"), ref: s[dash + 2], path: s.slice(dash + 3).join("/") } };
  if (s.length >= 5 && s[2] === "blob") return { type, file: { provider: "github", host, owner: s[0], repo: s[1], ref: s[3], path: s.slice(4).join("/") } };
  throw badRequest(
    "Not a file URL Pier can read: use https://github.com/<owner>/<repo>/blob/<branch>/catalog-info.yaml, a raw.githubusercontent.com URL, or https://<gitlab>/<group>/<project>/-/blob/<branch>/catalog-info.yaml",
    "target",
  );
}

/** The token and API base an integration gives (both optional). */
export type Credentials = { token?: string; apiUrl?: string };

export function apiBase(target: FileTarget | OrgTarget, creds: Credentials): string {
  if (creds.apiUrl) return creds.apiUrl.replace(/\/+$/, "");
  if (target.provider === "gitlab") return `https://${target.host}/api/v4`;
  return target.host === "github.com" ? "https://api.github.com" : `https://${target.host}/api/v3`;
}

/** The API URL a file is read from. */
export function fileApiUrl(file: FileTarget, creds: Credentials): string {
  const api = apiBase(file, creds);
  const ref = encodeURIComponent(file.ref);
  if (file.provider === "gitlab") return `${api}/projects/${encodeURIComponent(file.project)}/repository/files/${encodeURIComponent(file.path)}/raw?ref=${ref}`;
  const path = file.path.split("/").map(encodeURIComponent).join("/");
  return `${api}/repos/${encodeURIComponent(file.owner)}/${encodeURIComponent(file.repo)}/contents/${path}?ref=${ref}`;
}

function headers(provider: "github" | "gitlab", creds: Credentials, accept: string, etag?: string): Record<string, string> {
  const h: Record<string, string> = { accept, "user-agent": "Pier-Catalog-Discovery" };
  if (provider === "github") h["x-github-api-version"] = "2022-11-28";
  if (creds.token) {
    if (provider === "github") h.authorization = `Bearer ${creds.token}`;
    else h["private-token"] = creds.token;
  }
  if (etag) h["if-none-match"] = etag;
  return h;
}

/** A provider call went wrong in a way the location's status should show. */
export class SourceError extends Error {}

export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

/** fetch through the outbound URL guard (allow list read by the caller); never follows redirects. */
export function guardedFetcher(allowList: string[]): Fetcher {
  return async (url, init) => {
    const check = await checkOutboundUrl(url, allowList);
    if (!check.ok) throw new SourceError(`Refusing to call ${url}: URL ${check.reason}`);
    return fetchChecked(check, init, 20_000);
  };
}

async function describe(res: Response): Promise<string> {
  const body = (await res.text().catch(() => "")).slice(0, 300);
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // Not JSON: the text as it came.
  }
  return `HTTP ${res.status}${message ? `: ${message}` : ""}`;
}

async function boundedText(res: Response, url: string): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (declared > MAX_FILE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new SourceError(`${url} is larger than ${MAX_FILE_BYTES} bytes`);
  }
  const buf = new Uint8Array(await res.arrayBuffer());
  if (buf.byteLength > MAX_FILE_BYTES) throw new SourceError(`${url} is larger than ${MAX_FILE_BYTES} bytes`);
  return new TextDecoder().decode(buf);
}

export type FileRead = { status: "changed"; text: string; etag: string | null } | { status: "unchanged" } | { status: "missing" };

/** Reads a file; with the ETag of the last read an unchanged file answers 304 ("unchanged"). 404: "missing". */
export async function readFile(fetcher: Fetcher, file: FileTarget, creds: Credentials, etag?: string): Promise<FileRead> {
  const url = fileApiUrl(file, creds);
  const accept = file.provider === "github" ? "application/vnd.github.raw+json" : "*/*";
  const res = await fetcher(url, { headers: headers(file.provider, creds, accept, etag) });
  if (res.status === 304) return { status: "unchanged" };
  if (res.status === 404) {
    await res.body?.cancel().catch(() => undefined);
    return { status: "missing" };
  }
  if (res.status !== 200) throw new SourceError(`${file.provider === "github" ? "GitHub" : "GitLab"} answered ${await describe(res)} for ${url}`);
  return { status: "changed", text: await boundedText(res, url), etag: res.headers.get("etag") };
}

export type OrgRepository = { name: string; fullName: string; defaultBranch: string; archived: boolean };

const nextLink = (link: string | null) => (link ? /<([^>]+)>\s*;\s*rel="next"/.exec(link)?.[1] : undefined);

/** The organisation's repositories (archived ones included; the caller skips them, as Backstage does by default). */
export async function listOrgRepositories(fetcher: Fetcher, org: OrgTarget, creds: Credentials): Promise<OrgRepository[]> {
  const out: OrgRepository[] = [];
  let url: string | undefined = `${apiBase(org, creds)}/orgs/${encodeURIComponent(org.org)}/repos?per_page=100`;
  for (let page = 0; url && page < MAX_ORG_PAGES; page++) {
    const res = await fetcher(url, { headers: headers("github", creds, "application/vnd.github+json") });
    if (res.status !== 200) throw new SourceError(`GitHub answered ${await describe(res)} listing ${org.org}'s repositories`);
    const repos = (await res.json()) as { name?: unknown; full_name?: unknown; default_branch?: unknown; archived?: unknown }[];
    if (!Array.isArray(repos)) throw new SourceError(`GitHub's repository list for ${org.org} is not a list`);
    for (const r of repos) {
      if (typeof r.name !== "string" || typeof r.default_branch !== "string") continue;
      out.push({
        name: r.name,
        fullName: typeof r.full_name === "string" ? r.full_name : `${org.org}/${r.name}`,
        defaultBranch: r.default_branch,
        archived: r.archived === true,
      });
    }
    const next = nextLink(res.headers.get("link"));
    // The token goes only to the API it was configured for: a next page elsewhere is not followed.
    url = next && new URL(next).origin === new URL(apiBase(org, creds)).origin ? next : undefined;
  }
  return out;
}

/** The file an organisation's repository is scanned for. */
export const repositoryFile = (org: OrgTarget, repo: OrgRepository): FileTarget => ({
  provider: "github",
  host: org.host,
  owner: org.org,
  repo: repo.name,
  ref: repo.defaultBranch,
  path: DISCOVERED_FILE,
});

/** How a file is shown and keyed (its ETag, its entities' origin): the browser URL of the file. */
export function fileLabel(file: FileTarget): string {
  if (file.provider === "gitlab") return `https://${file.host}/${file.project}/-/blob/${file.ref}/${file.path}`;
  return `https://${file.host}/${file.owner}/${file.repo}/blob/${file.ref}/${file.path}`;
}
