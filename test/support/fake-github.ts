// A local GitHub REST API for catalog discovery tests, answering as api.github.com does: repository contents with
// the raw media type (`Accept: application/vnd.github.raw+json`) and a quoted ETag, 304 with no body to a matching
// If-None-Match, 404 `{"message":"Not Found",...}` for a missing repository or file, 401 `{"message":"Bad
// credentials"}` for a wrong token, and organisation repository lists paged by `per_page`/`page` with a Link header.
import { createHash } from "node:crypto";
import { FakeVendor, type Answer, type Recorded } from "./fake-http";

export type FakeRepo = { defaultBranch?: string; archived?: boolean; files: Record<string, string> };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", "x-github-api-version-selected": "2022-11-28", ...headers },
  body: JSON.stringify(body),
});
const notFound = () => json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
const etagOf = (text: string) => `"${createHash("sha1").update(text).digest("hex")}"`;

export class FakeGitHub {
  /** owner/repo → repository. */
  readonly repos = new Map<string, FakeRepo>();
  token: string | null = null;
  private constructor(readonly vendor: FakeVendor) {
    vendor.fallback = (req) => this.answer(req);
  }

  static async start() {
    return new FakeGitHub(await FakeVendor.start());
  }

  get apiUrl() {
    return this.vendor.url("").replace(/\/$/, "");
  }

  get requests() {
    return this.vendor.requests;
  }

  repo(fullName: string, repo: FakeRepo) {
    this.repos.set(fullName, repo);
  }

  private answer(req: Recorded): Answer {
    if (this.token && req.headers.authorization !== `Bearer ${this.token}`)
      return json(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
    const url = new URL(req.url, "http://fake");
    const contents = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(url.pathname);
    if (req.method === "GET" && contents) {
      const repo = this.repos.get(`${decodeURIComponent(contents[1])}/${decodeURIComponent(contents[2])}`);
      const ref = url.searchParams.get("ref") ?? repo?.defaultBranch ?? "main";
      if (!repo || ref !== (repo.defaultBranch ?? "main")) return notFound();
      const text = repo.files[decodeURIComponent(contents[3])];
      if (text === undefined) return notFound();
      const etag = etagOf(text);
      if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag } };
      return { status: 200, headers: { "content-type": "application/vnd.github.raw+json; charset=utf-8", etag }, body: text };
    }
    const orgRepos = /^\/orgs\/([^/]+)\/repos$/.exec(url.pathname);
    if (req.method === "GET" && orgRepos) {
      const org = decodeURIComponent(orgRepos[1]);
      const all = [...this.repos.entries()].filter(([name]) => name.startsWith(`${org}/`));
      if (!all.length) return notFound();
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const page = Number(url.searchParams.get("page") ?? 1);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const last = Math.ceil(all.length / perPage);
      const link = (p: number, rel: string) => `<${this.apiUrl}/orgs/${org}/repos?per_page=${perPage}&page=${p}>; rel="${rel}"`;
      const links = page < last ? [link(page + 1, "next"), link(last, "last")] : [];
      return json(
        200,
        slice.map(([fullName, r], i) => ({
          id: 1000 + i,
          node_id: `R_${i}`,
          name: fullName.split("/")[1],
          full_name: fullName,
          private: false,
          owner: { login: org, type: "Organization" },
          html_url: `https://github.com/${fullName}`,
          archived: r.archived ?? false,
          disabled: false,
          default_branch: r.defaultBranch ?? "main",
          visibility: "public",
        })),
        links.length ? { link: links.join(", ") } : {},
      );
    }
    return notFound();
  }

  close() {
    return this.vendor.close();
  }
}
