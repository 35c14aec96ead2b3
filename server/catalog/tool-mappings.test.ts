// Project → service mappings (Admin → Integrations): admins only, field errors for bad input, one service per name,
// audited, and a real GitLab deployment hook (shared fixture gitlab/deployment.json) then lands on the mapped service.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as gitlabPOST } from "@/app/api/webhooks/gitlab/route";
import { systemActor, verifyAuditChain } from "../audit/audit-log";
import { getDb } from "../db";
import { processInboundEvent } from "../ingest/ingest-worker";
import { createWebhookSecret } from "../ingest/webhook-secrets";
import { callerFor, callerWithRole, makeTeam } from "../../test/support/factories";
import { makeService, outcome } from "../../test/support/catalog-builders";
import { ensureEnvironments } from "../../test/support/dora-fixtures";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";

let team: { id: string };
beforeAll(async () => {
  team = await makeTeam("Mapped");
});

describe("tool mappings", () => {
  it("are for admins only: the owning team's developers, approvers and anonymous callers are refused", async () => {
    const svc = await makeService(team.id);
    const who = {
      admin: (await callerWithRole("admin")).caller,
      ownerDeveloper: (await callerWithRole("developer", [team.id])).caller,
      approver: (await callerWithRole("approver", [team.id])).caller,
      anonymous: await callerFor(null),
    };
    const results: Record<string, string[]> = {};
    for (const [name, caller] of Object.entries(who))
      results[name] = [
        (await outcome(caller.catalog.toolMappings())).code,
        (await outcome(caller.catalog.mapToolProject({ source: "gitlab", name: `acme/${name}-${svc.slug}`, slug: svc.slug }))).code,
        (await outcome(caller.catalog.unmapToolProject({ source: "argocd", slug: svc.slug }))).code,
      ];
    expect(results).toEqual({
      admin: ["OK", "OK", "OK"],
      ownerDeveloper: ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
      approver: ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
      anonymous: ["UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED"],
    });
    const after = await getDb().service.findUniqueOrThrow({ where: { id: svc.id } });
    expect(after.annotations).toEqual({ "gitlab.com/project-slug": `acme/admin-${svc.slug}` });
  });

  it("set, replace and remove the service's annotation for the tool, each change audited", async () => {
    const { caller } = await callerWithRole("admin");
    const svc = await makeService(team.id);
    await getDb().service.update({ where: { id: svc.id }, data: { annotations: { "backstage.io/techdocs-ref": "dir:." } } });
    expect(await caller.catalog.mapToolProject({ source: "launchdarkly", name: " web-proj ", slug: svc.slug })).toMatchObject({
      source: "launchdarkly",
      name: "web-proj",
      slug: svc.slug,
    });
    await caller.catalog.mapToolProject({ source: "launchdarkly", name: "web", slug: svc.slug });
    await caller.catalog.mapToolProject({ source: "terraform", name: "acme/web-prod", slug: svc.slug });
    const listed = (await caller.catalog.toolMappings()).filter((m) => m.slug === svc.slug);
    expect(listed).toEqual([
      { source: "terraform", name: "acme/web-prod", slug: svc.slug, serviceName: svc.name, teamName: "Mapped" },
      { source: "launchdarkly", name: "web", slug: svc.slug, serviceName: svc.name, teamName: "Mapped" },
    ]);
    expect(await caller.catalog.unmapToolProject({ source: "launchdarkly", slug: svc.slug })).toEqual({ removed: true });
    expect(await caller.catalog.unmapToolProject({ source: "launchdarkly", slug: svc.slug })).toEqual({ removed: false });
    const after = await getDb().service.findUniqueOrThrow({ where: { id: svc.id } });
    // Other annotations (from a Backstage import) are kept.
    expect(after.annotations).toEqual({ "backstage.io/techdocs-ref": "dir:.", "terraform/workspace": "acme/web-prod" });
    const audits = await getDb().auditEvent.findMany({ where: { subjectId: svc.id, action: "catalog.service_updated" }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => [a.before, a.after])).toEqual([
      [{ "launchdarkly/project-key": null }, { "launchdarkly/project-key": "web-proj" }],
      [{ "launchdarkly/project-key": "web-proj" }, { "launchdarkly/project-key": "web" }],
      [{ "terraform/workspace": null }, { "terraform/workspace": "acme/web-prod" }],
      [{ "launchdarkly/project-key": "web" }, { "launchdarkly/project-key": null }],
    ]);
    expect((await verifyAuditChain(getDb())).ok).toBe(true);
  });

  it("refuses bad input with a 400 naming the field, and a name another service has, writing nothing", async () => {
    const { caller } = await callerWithRole("admin");
    const [a, b] = [await makeService(team.id), await makeService(team.id)];
    await caller.catalog.mapToolProject({ source: "jenkins", name: "payments/deploy", slug: a.slug });
    const refused = {
      taken: await outcome(caller.catalog.mapToolProject({ source: "jenkins", name: "payments/deploy", slug: b.slug })),
      noService: await outcome(caller.catalog.mapToolProject({ source: "jenkins", name: "other", slug: "no-such-service" })),
      emptyName: await outcome(caller.catalog.mapToolProject({ source: "jenkins", name: "  ", slug: b.slug })),
      badSource: await outcome(caller.catalog.mapToolProject({ source: "bamboo" as "jenkins", name: "x", slug: b.slug })),
      unmapNoService: await outcome(caller.catalog.unmapToolProject({ source: "jenkins", slug: "no-such-service" })),
    };
    expect(Object.fromEntries(Object.entries(refused).map(([k, r]) => [k, [r.code, r.fields]]))).toEqual({
      taken: ["BAD_REQUEST", ["name"]],
      noService: ["BAD_REQUEST", ["slug"]],
      emptyName: ["BAD_REQUEST", ["name"]],
      badSource: ["BAD_REQUEST", ["source"]],
      unmapNoService: ["BAD_REQUEST", ["slug"]],
    });
    expect(refused.taken.errors.name?.[0]).toContain(a.slug);
    expect((await getDb().service.findUniqueOrThrow({ where: { id: b.id } })).annotations).toEqual({});
  });

  it("files a GitLab deployment hook of the mapped project under the service", async () => {
    await ensureEnvironments();
    const { caller } = await callerWithRole("admin");
    const svc = await makeService(team.id, { slug: "mailer-jobs" });
    // The real deployment hook: project root/test-deployment-webhooks, environment staging, status success.
    await caller.catalog.mapToolProject({ source: "gitlab", name: "root/test-deployment-webhooks", slug: svc.slug });
    await createWebhookSecret(getDb(), systemActor("test"), { kind: "gitlab_webhook", name: "GitLab", secret: "gitlab-token-for-mapping-test" });
    const body = readFileSync(path.join(SHARED_FIXTURES, "gitlab", "deployment.json"));
    const res = await gitlabPOST(
      new Request("http://pier.test/api/webhooks/gitlab", {
        method: "POST",
        body: new Uint8Array(body),
        headers: {
          "content-type": "application/json",
          "x-gitlab-event": "Deployment Hook",
          "x-gitlab-token": "gitlab-token-for-mapping-test",
          "idempotency-key": "mapping-test-1",
        },
      }),
    );
    expect(res.status).toBe(202);
    await processInboundEvent(getDb(), (await res.json()).id);
    const deployment = await getDb().deployment.findFirstOrThrow({ where: { source: "gitlab", externalId: "15" } });
    expect(deployment).toMatchObject({
      serviceId: svc.id,
      environmentName: "staging",
      version: "279484c09fbe69ededfced8c1bb6e6d24616b468",
      status: "succeeded",
    });
  });
});
