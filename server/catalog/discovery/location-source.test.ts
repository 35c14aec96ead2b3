// Location targets and provider calls with no database: which URL forms are understood, which API each is read
// from (GitHub, GitHub Enterprise, GitLab, an integration's apiUrl), the headers sent, and GitHub's paged
// repository lists (Link: rel="next").
import { describe, expect, it } from "vitest";
import { DomainError } from "../../errors";
import { apiBase, fileApiUrl, fileLabel, listOrgRepositories, parseTarget, readFile, SourceError, type Fetcher } from "./location-source";

const fileOf = (raw: string) => {
  const t = parseTarget("url", raw);
  if (t.type !== "url") throw new Error("not a file");
  return t.file;
};

describe("location targets", () => {
  it("reads GitHub blob and raw URLs, GitLab blob and raw URLs, and organisation URLs", () => {
    expect(fileOf("https://github.com/acme/payments/blob/main/catalog-info.yaml")).toEqual({
      provider: "github",
      host: "github.com",
      owner: "acme",
      repo: "payments",
      ref: "main",
      path: "catalog-info.yaml",
    });
    expect(fileOf("https://raw.githubusercontent.com/acme/payments/v2/services/catalog-info.yaml")).toMatchObject({
      provider: "github",
      host: "github.com",
      ref: "v2",
      path: "services/catalog-info.yaml",
    });
    expect(fileOf("https://gitlab.example.com/platform/tools/pier/-/blob/main/catalog/all.yaml")).toEqual({
      provider: "gitlab",
      host: "gitlab.example.com",
      project: "platform/tools/pier",
      ref: "main",
      path: "catalog/all.yaml",
    });
    expect(fileOf("https://gitlab.com/g/p/-/raw/dev/catalog-info.yaml")).toMatchObject({ provider: "gitlab", project: "g/p", ref: "dev" });
    expect(parseTarget("github-org", "https://github.com/acme")).toEqual({ type: "github-org", org: { provider: "github", host: "github.com", org: "acme" } });
    for (const [type, raw] of [
      ["url", "https://github.com/acme"],
      ["url", "mailto:x@example.com"],
      ["github-org", "https://github.com/acme/payments"],
      ["github-org", "https://github.com/-bad-"],
    ] as const) {
      expect(() => parseTarget(type, raw)).toThrow(DomainError);
    }
  });

  it("picks the API: api.github.com, /api/v3 on GitHub Enterprise, /api/v4 on GitLab, or the integration's apiUrl", () => {
    const gh = fileOf("https://github.com/acme/payments/blob/main/catalog-info.yaml");
    expect(fileApiUrl(gh, {})).toBe("https://api.github.com/repos/acme/payments/contents/catalog-info.yaml?ref=main");
    expect(apiBase(fileOf("https://ghe.example.com/a/b/blob/main/c.yaml"), {})).toBe("https://ghe.example.com/api/v3");
    const gl = fileOf("https://gitlab.example.com/platform/pier/-/blob/main/catalog/all.yaml");
    expect(fileApiUrl(gl, {})).toBe("https://gitlab.example.com/api/v4/projects/platform%2Fpier/repository/files/catalog%2Fall.yaml/raw?ref=main");
    expect(fileApiUrl(gh, { apiUrl: "http://127.0.0.1:9/" })).toBe("http://127.0.0.1:9/repos/acme/payments/contents/catalog-info.yaml?ref=main");
    expect(fileLabel(gl)).toBe("https://gitlab.example.com/platform/pier/-/blob/main/catalog/all.yaml");
  });
});

describe("provider calls", () => {
  it("reads a GitLab file with PRIVATE-TOKEN and the last ETag; 304 is unchanged, 404 missing, others an error naming the answer", async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const answers = [
      new Response("kind: Component", { status: 200, headers: { etag: '"abc"' } }),
      new Response(null, { status: 304 }),
      new Response('{"message":"404 File Not Found"}', { status: 404 }),
      new Response('{"message":"403 Forbidden"}', { status: 403 }),
    ];
    const fetcher: Fetcher = async (url, init) => {
      seen.push({ url, headers: init.headers as Record<string, string> });
      return answers.shift()!;
    };
    const gl = fileOf("https://gitlab.example.com/g/p/-/blob/main/catalog-info.yaml");
    expect(await readFile(fetcher, gl, { token: "glpat-x" })).toEqual({ status: "changed", text: "kind: Component", etag: '"abc"' });
    expect(seen[0].headers).toMatchObject({ "private-token": "glpat-x" });
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(await readFile(fetcher, gl, { token: "glpat-x" }, '"abc"')).toEqual({ status: "unchanged" });
    expect(seen[1].headers["if-none-match"]).toBe('"abc"');
    expect(await readFile(fetcher, gl, {})).toEqual({ status: "missing" });
    await expect(readFile(fetcher, gl, {})).rejects.toThrow(new SourceError(`GitLab answered HTTP 403: 403 Forbidden for ${fileApiUrl(gl, {})}`));
  });

  it("follows GitHub's Link rel=next through an organisation's repository pages", async () => {
    const page = (names: string[], next?: string) =>
      new Response(JSON.stringify(names.map((name) => ({ name, full_name: `acme/${name}`, default_branch: "main", archived: name === "old" }))), {
        status: 200,
        headers: next ? { link: `<${next}>; rel="next", <${next}>; rel="last"` } : {},
      });
    const urls: string[] = [];
    const fetcher: Fetcher = async (url) => {
      urls.push(url);
      return urls.length === 1 ? page(["a", "old"], "https://api.github.com/organizations/1/repos?per_page=100&page=2") : page(["b"]);
    };
    const org = parseTarget("github-org", "https://github.com/acme");
    if (org.type !== "github-org") throw new Error("not an org");
    const repos = await listOrgRepositories(fetcher, org.org, { token: "t" });
    expect(repos.map((r) => [r.name, r.archived])).toEqual([
      ["a", false],
      ["old", true],
      ["b", false],
    ]);
    expect(urls).toEqual(["https://api.github.com/orgs/acme/repos?per_page=100", "https://api.github.com/organizations/1/repos?per_page=100&page=2"]);
    await expect(listOrgRepositories(async () => new Response('{"message":"Not Found"}', { status: 404 }), org.org, {})).rejects.toThrow(/HTTP 404: Not Found/);
    // A next page on another host is not followed (the token would go with it).
    urls.length = 0;
    const elsewhere: Fetcher = async (url) => {
      urls.push(url);
      return page(["a"], "https://attacker.example/orgs/acme/repos?page=2");
    };
    expect(await listOrgRepositories(elsewhere, org.org, { token: "t" })).toHaveLength(1);
    expect(urls).toHaveLength(1);
  });
});
