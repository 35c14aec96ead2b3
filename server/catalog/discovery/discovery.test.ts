// Catalog discovery (issue 15, "What to build" 4) against a local fake GitHub API that answers as GitHub does
// (test/support/fake-github.ts): a registered catalog-info.yaml URL brings its entities in; a changed file updates
// them; an unchanged one is a 304 that writes nothing; an entity or a file that goes away leaves orphans, which the
// owner or an admin deletes; an organisation scan finds the repositories that have the file. Only admins manage
// locations; bad input is a 4xx naming the field and writes nothing. Catalogs are Backstage's own example catalog.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleCatalog, toYamlDocs } from "../../../test/support/backstage-fixtures";
import { outcome } from "../../../test/support/catalog-builders";
import { callerFor, makeTeam, makeUser, uid } from "../../../test/support/factories";
import { FakeGitHub } from "../../../test/support/fake-github";
import { getDb } from "../../db";
import { encryptJson } from "../../platform/secrets";
import { refreshDueLocations } from "./refresh-loop";

let github: FakeGitHub;
let integration: string;

beforeAll(async () => {
  github = await FakeGitHub.start();
  github.token = "ghp_discovery_test_token";
  await getDb().outboundAllowEntry.create({ data: { pattern: github.vendor.hostPort, reason: "fake GitHub" } });
  integration = `github-${uid()}`;
  await getDb().integration.create({
    data: { name: integration, kind: "github_actions", settings: { apiUrl: github.apiUrl }, secretEncrypted: encryptJson({ token: github.token }) },
  });
});
afterAll(() => github.close());

const admin = async () => {
  const u = await makeUser("admin");
  return { user: u, api: await callerFor(u.id) };
};
const db = () => getDb();
const entityOf = (ref: string) => db().catalogEntity.findUnique({ where: { ref } });
const writes = async () => ({ audit: await db().auditEvent.count(), outbox: await db().outboxEvent.count(), entities: await db().catalogEntity.count() });

/** A repository holding the example catalog with names prefixed `p` at catalog-info.yaml. */
function exampleRepo(p: string, edit: (entities: ReturnType<typeof exampleCatalog>) => unknown[] = (e) => e) {
  return { files: { "catalog-info.yaml": toYamlDocs(edit(exampleCatalog(p))) } };
}

describe("a registered catalog-info.yaml URL", () => {
  it("brings its entities in, updates them when the file changes, writes nothing on a 304, orphans what goes away", async () => {
    const p = `disc-${uid()}`;
    github.repo(`acme/${p}`, exampleRepo(p));
    const { api } = await admin();
    const target = `https://github.com/acme/${p}/blob/main/catalog-info.yaml`;

    // New file → entities appear (read with the integration's token, through the raw media type).
    const registered = await api.catalog.locations.register({ type: "url", target, integration });
    expect(registered.refresh).toMatchObject({ status: "ok", entities: 5, orphaned: [] });
    const read = github.requests.at(-1)!;
    expect(read.url).toBe(`/repos/acme/${p}/contents/catalog-info.yaml?ref=main`);
    expect(read.headers).toMatchObject({ authorization: `Bearer ${github.token}`, accept: "application/vnd.github.raw+json" });
    expect(await entityOf(`component:default/${p}-example-website`)).toBeTruthy();
    expect(await entityOf(`group:default/${p}-guests`)).toBeTruthy();
    const [listed] = (await api.catalog.locations.list()).filter((l) => l.id === registered.id);
    expect(listed).toMatchObject({ status: "ok", entityCount: 5, error: null, orphans: 0 });

    // Unchanged → a conditional request answered 304, and nothing written (no entity, audit or outbox row).
    const before = await writes();
    const updatedAt = (await entityOf(`component:default/${p}-example-website`))!.updatedAt;
    expect(await api.catalog.locations.refresh({ id: registered.id })).toMatchObject({ status: "unchanged" });
    expect(github.requests.at(-1)!.headers["if-none-match"]).toMatch(/^".+"$/);
    expect(await writes()).toEqual(before);
    expect((await entityOf(`component:default/${p}-example-website`))!.updatedAt).toEqual(updatedAt);

    // Changed file → the entity is updated.
    github.repo(
      `acme/${p}`,
      exampleRepo(p, (es) => es.map((e) => (e.kind === "Component" ? { ...e, metadata: { ...e.metadata, description: "now described" } } : e))),
    );
    expect(await api.catalog.locations.refresh({ id: registered.id })).toMatchObject({ status: "ok", orphaned: [] });
    const website = (await entityOf(`component:default/${p}-example-website`))!.entity as { metadata: { description?: string } };
    expect(website.metadata.description).toBe("now described");

    // An entity removed from the file → an orphan (kept, marked), shown on the entity and the locations list.
    github.repo(
      `acme/${p}`,
      exampleRepo(p, (es) => es.filter((e) => e.kind !== "API")),
    );
    const apiRef = `api:default/${p}-example-grpc-api`;
    expect(await api.catalog.locations.refresh({ id: registered.id })).toMatchObject({ status: "ok", entities: 4, orphaned: [apiRef] });
    expect(await entityOf(apiRef)).toBeTruthy();
    expect(await api.catalog.locations.origin({ ref: apiRef })).toMatchObject({ orphan: true, canDelete: true });
    expect((await api.catalog.locations.list()).find((l) => l.id === registered.id)).toMatchObject({ orphans: 1, orphanRefs: [apiRef] });

    // The owner (a member of the owning team) may delete it; a developer of another team may not; audited.
    const owningTeam = await db().team.findUniqueOrThrow({ where: { slug: `${p}-guests` } });
    const stranger = await callerFor((await makeUser("developer", [(await makeTeam()).id])).id);
    expect(await stranger.catalog.locations.origin({ ref: apiRef })).toMatchObject({ orphan: true, canDelete: false });
    expect(await outcome(stranger.catalog.locations.deleteOrphan({ ref: apiRef }))).toMatchObject({ code: "FORBIDDEN" });
    const owner = await callerFor((await makeUser("developer", [owningTeam.id])).id);
    // A listed entity is not an orphan: refused, nothing deleted.
    expect(await outcome(owner.catalog.locations.deleteOrphan({ ref: `component:default/${p}-example-website` }))).toMatchObject({
      code: "BAD_REQUEST",
      fields: ["ref"],
    });
    expect(await owner.catalog.locations.deleteOrphan({ ref: apiRef })).toEqual({ deleted: apiRef });
    expect(await entityOf(apiRef)).toBeNull();
    expect(
      await db().auditEvent.count({ where: { action: "catalog.entity_deleted", before: { path: ["metadata", "name"], equals: `${p}-example-grpc-api` } } }),
    ).toBe(1);

    // The file removed → every entity it listed is an orphan, and the location shows the error.
    github.repo(`acme/${p}`, { files: {} });
    const gone = await api.catalog.locations.refresh({ id: registered.id });
    expect(gone).toMatchObject({ status: "error", entities: 0 });
    expect(gone.orphaned).toHaveLength(4);
    expect((await api.catalog.locations.list()).find((l) => l.id === registered.id)).toMatchObject({ status: "error", orphans: 4 });
    expect((await api.catalog.locations.list()).find((l) => l.id === registered.id)!.error).toMatch(/not found \(HTTP 404\)/);
  });

  it("shows a provider's refusal (a wrong token) as the location's error, and orphans nothing", async () => {
    const p = `disc-${uid()}`;
    github.repo(`acme/${p}`, exampleRepo(p));
    const wrong = `github-wrong-${uid()}`;
    await db().integration.create({
      data: { name: wrong, kind: "github_actions", settings: { apiUrl: github.apiUrl }, secretEncrypted: encryptJson({ token: "nope" }) },
    });
    const { api } = await admin();
    const r = await api.catalog.locations.register({ type: "url", target: `https://github.com/acme/${p}/blob/main/catalog-info.yaml`, integration: wrong });
    expect(r.refresh).toMatchObject({ status: "error", orphaned: [] });
    expect(r.refresh.message).toMatch(/HTTP 401: Bad credentials/);
  });
});

describe("a registered all.yaml", () => {
  it("follows its Location targets and placeholders in the same repository, and notices when only a target changed", async () => {
    const p = `disc-${uid()}`;
    const entities = exampleCatalog(p);
    const group = entities.find((e) => e.kind === "Group")!;
    const component = entities.find((e) => e.kind === "Component")!;
    const others = entities.filter((e) => e !== group && e !== component);
    const allOf = (targets: string[]) =>
      toYamlDocs([{ apiVersion: "backstage.io/v1alpha1", kind: "Location", metadata: { name: `${p}-all` }, spec: { targets } }]);
    const all = allOf(["./org.yaml", "./services/website.yaml", "./others.yaml"]);
    const files = {
      "catalog/all.yaml": all,
      "catalog/org.yaml": toYamlDocs([group]),
      "catalog/services/website.yaml": toYamlDocs([{ ...component, metadata: { ...component.metadata, description: { $text: "./website.md" } } }]),
      "catalog/services/website.md": "The shop's website.",
      "catalog/others.yaml": toYamlDocs(others),
    };
    github.repo(`acme/${p}`, { files });
    const { api } = await admin();
    const r = await api.catalog.locations.register({ type: "url", target: `https://github.com/acme/${p}/blob/main/catalog/all.yaml`, integration });
    expect(r.refresh).toMatchObject({ status: "ok", entities: 6 });
    const websiteRef = `component:default/${p}-example-website`;
    expect(((await entityOf(websiteRef))!.entity as { metadata: { description: string } }).metadata.description).toBe("The shop's website.");

    // Only a placeholder's file changed: all.yaml answers 304, its followed file does not → read again.
    github.repo(`acme/${p}`, { files: { ...files, "catalog/services/website.md": "Now with a new description." } });
    expect(await api.catalog.locations.refresh({ id: r.id })).toMatchObject({ status: "ok" });
    expect(((await entityOf(websiteRef))!.entity as { metadata: { description: string } }).metadata.description).toBe("Now with a new description.");
    expect(await api.catalog.locations.refresh({ id: r.id })).toMatchObject({ status: "unchanged" });

    // A target dropped from all.yaml → the entities of that file are orphans.
    github.repo(`acme/${p}`, { files: { ...files, "catalog/all.yaml": allOf(["./org.yaml", "./services/website.yaml"]) } });
    const dropped = await api.catalog.locations.refresh({ id: r.id });
    expect(dropped).toMatchObject({ status: "ok", entities: 3 });
    expect(dropped.orphaned).toHaveLength(3);
  });
});

describe("a registered GitHub organisation", () => {
  it("scans every repository's default branch for catalog-info.yaml (archived ones and ones without the file skipped)", async () => {
    const org = `org-${uid()}`;
    const [a, b, c] = [`a-${uid()}`, `b-${uid()}`, `c-${uid()}`];
    github.repo(`${org}/${a}`, exampleRepo(a));
    github.repo(`${org}/${b}`, { ...exampleRepo(b), defaultBranch: "trunk" });
    github.repo(`${org}/${c}`, { ...exampleRepo(c), archived: true });
    github.repo(`${org}/docs`, { files: { "README.md": "# docs" } });
    const { api } = await admin();
    const r = await api.catalog.locations.register({ type: "github-org", target: `https://github.com/${org}`, integration });
    expect(r.refresh).toMatchObject({ status: "ok", entities: 10 });
    expect(github.requests.some((q) => q.url === `/repos/${org}/${b}/contents/catalog-info.yaml?ref=trunk`)).toBe(true);
    expect(await entityOf(`component:default/${a}-example-website`)).toBeTruthy();
    expect(await entityOf(`component:default/${b}-example-website`)).toBeTruthy();
    expect(await entityOf(`component:default/${c}-example-website`)).toBeNull();

    // Nothing changed anywhere: every file is a 304.
    expect(await api.catalog.locations.refresh({ id: r.id })).toMatchObject({ status: "unchanged" });
    // A repository archived since → its entities are orphans.
    github.repo(`${org}/${b}`, { ...exampleRepo(b), defaultBranch: "trunk", archived: true });
    const after = await api.catalog.locations.refresh({ id: r.id });
    expect(after).toMatchObject({ status: "ok", entities: 5 });
    expect(after.orphaned).toHaveLength(5);
  });
});

describe("who may manage locations, and what bad input does", () => {
  it("lets only admins list, register, refresh and delete; anonymous callers are asked to sign in", async () => {
    const { api } = await admin();
    const p = `disc-${uid()}`;
    github.repo(`acme/${p}`, exampleRepo(p));
    const { id } = await api.catalog.locations.register({ type: "url", target: `https://github.com/acme/${p}/blob/main/catalog-info.yaml`, integration });
    for (const who of [await callerFor((await makeUser("developer")).id), await callerFor((await makeUser("approver")).id)]) {
      expect(await outcome(who.catalog.locations.list())).toMatchObject({ code: "FORBIDDEN" });
      expect(await outcome(who.catalog.locations.register({ type: "url", target: "https://github.com/a/b/blob/main/x.yaml" }))).toMatchObject({
        code: "FORBIDDEN",
      });
      expect(await outcome(who.catalog.locations.refresh({ id }))).toMatchObject({ code: "FORBIDDEN" });
      expect(await outcome(who.catalog.locations.delete({ id }))).toMatchObject({ code: "FORBIDDEN" });
    }
    const anon = await callerFor(null);
    expect(await outcome(anon.catalog.locations.list())).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await outcome(anon.catalog.locations.origin({ ref: "component:default/x" }))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await outcome(anon.catalog.locations.deleteOrphan({ ref: "component:default/x" }))).toMatchObject({ code: "UNAUTHORIZED" });

    // Deleting a location keeps its entities; audited.
    expect(await api.catalog.locations.delete({ id })).toEqual({ deleted: true });
    expect(await db().catalogLocation.findUnique({ where: { id } })).toBeNull();
    expect(await entityOf(`component:default/${p}-example-website`)).toBeTruthy();
    expect(await outcome(api.catalog.locations.delete({ id }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a bad target, an unknown integration, an API the outbound guard refuses, a duplicate — naming the field, writing nothing", async () => {
    const { api } = await admin();
    const p = `disc-${uid()}`;
    github.repo(`acme/${p}`, exampleRepo(p));
    const target = `https://github.com/acme/${p}/blob/main/catalog-info.yaml`;
    await api.catalog.locations.register({ type: "url", target, integration });
    const before = await writes();
    const cases = [
      [{ type: "url" as const, target: "not a url" }, "target"],
      [{ type: "url" as const, target: "https://github.com/acme/repo" }, "target"],
      [{ type: "github-org" as const, target: "https://github.com/acme/repo" }, "target"],
      [{ type: "url" as const, target: "ftp://github.com/a/b/blob/main/c.yaml" }, "target"],
      [{ type: "url" as const, target, integration: "no-such-integration" }, "integration"],
      [{ type: "url" as const, target: "https://gitlab.internal.example/g/p/-/blob/main/catalog-info.yaml" }, "target"],
    ] as const;
    for (const [input, field] of cases)
      expect(await outcome(api.catalog.locations.register(input)), JSON.stringify(input)).toMatchObject({ code: "BAD_REQUEST", fields: [field] });
    expect(await outcome(api.catalog.locations.register({ type: "url", target, integration }))).toMatchObject({ code: "CONFLICT", fields: ["target"] });
    expect(await writes()).toEqual(before);
  });
});

describe("the workers' refresh loop", () => {
  it("reads locations not read for a while, oldest first, and leaves example locations alone", async () => {
    const { api, user } = await admin();
    const p = `disc-${uid()}`;
    github.repo(`acme/${p}`, exampleRepo(p));
    const { id } = await api.catalog.locations.register({ type: "url", target: `https://github.com/acme/${p}/blob/main/catalog-info.yaml`, integration });
    const example = await db().catalogLocation.create({
      data: { type: "url", target: `https://github.com/example/${p}/blob/main/catalog-info.yaml`, example: true, createdById: user.id },
    });
    const lastRead = (await db().catalogLocation.findUniqueOrThrow({ where: { id } })).lastReadAt!;
    const n = await refreshDueLocations(getDb(), new Date(Date.now() + 10 * 60_000));
    expect(n).toBeGreaterThanOrEqual(1);
    expect((await db().catalogLocation.findUniqueOrThrow({ where: { id } })).lastReadAt!.getTime()).toBeGreaterThan(lastRead.getTime());
    expect((await db().catalogLocation.findUniqueOrThrow({ where: { id: example.id } })).lastReadAt).toBeNull();
    // The registrant losing the admin role stops the reads, with a message that says why.
    await db().user.update({ where: { id: user.id }, data: { role: "developer" } });
    expect((await (await callerFor((await makeUser("admin")).id)).catalog.locations.refresh({ id })).message).toMatch(/no longer an admin/);
  });
});
