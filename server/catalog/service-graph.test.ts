// Issue 15: `consumesApis` is a relation, not a copied service dependency, yet impact analysis and release order
// still read "the consumer of an API depends on its provider", derived from the relations as they stand.
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerWithRole } from "../../test/support/factories";
import { exampleCatalog, toYamlDocs } from "../../test/support/backstage-fixtures";
import { dependencyOrder, loadDependencyEdges } from "../deployments/releases/order";
import { impactOf } from "./impact";

type Entity = ReturnType<typeof exampleCatalog>[number];

/** The create-app example catalog, plus a Component consuming its API and one depending on that consumer. */
function catalogWith(prefix: string, consumes: boolean) {
  const [system, website, api, user, group] = exampleCatalog(prefix);
  const { providesApis: _provides, ...spec } = website.spec!;
  const consumer: Entity = {
    ...website,
    metadata: { name: `${prefix}-consumer` },
    spec: { ...spec, ...(consumes ? { consumesApis: [api.metadata.name] } : {}) },
  };
  const caller: Entity = { ...website, metadata: { name: `${prefix}-caller` }, spec: { ...spec, dependsOn: [`component:${prefix}-consumer`] } };
  return toYamlDocs([system, website, api, user, group, consumer, caller]);
}

const serviceId = async (slug: string) => (await getDb().kysely.selectFrom("Service").select("id").where("slug", "=", slug).executeTakeFirstOrThrow()).id;

describe("API consumption in the service graph", () => {
  it("makes the consumer of an API depend on its provider for impact and release order, without copying it", async () => {
    const { caller } = await callerWithRole("admin");
    const report = await caller.catalog.importYaml({ yaml: catalogWith("sg", true) });
    expect(report.counts.error).toBe(0);
    const [website, consumer, dependent] = await Promise.all(["sg-example-website", "sg-consumer", "sg-caller"].map(serviceId));

    // Stored as a relation only: the declared dependencies are the caller's dependsOn and nothing else.
    const declared = await getDb()
      .kysely.selectFrom("ServiceDependency")
      .select(["fromServiceId", "toServiceId"])
      .where("fromServiceId", "in", [website, consumer, dependent])
      .execute();
    expect(declared).toEqual([{ fromServiceId: dependent, toServiceId: consumer }]);

    const impact = await impactOf(getDb(), website);
    expect(impact.items.map((i) => [i.slug, i.direct])).toEqual([
      ["sg-consumer", true],
      ["sg-caller", false],
    ]);
    expect(impact.total).toBe(2);

    const edges = await loadDependencyEdges(getDb().kysely, [website, consumer, dependent]);
    expect(edges).toEqual(
      expect.arrayContaining([
        { consumerId: consumer, providerId: website },
        { consumerId: dependent, providerId: consumer },
      ]),
    );
    expect(edges).toHaveLength(2);
    const services = [
      { id: dependent, slug: "a-caller" },
      { id: consumer, slug: "b-consumer" },
      { id: website, slug: "c-website" },
    ];
    expect(dependencyOrder(services, edges).order.map((s) => s.id)).toEqual([website, consumer, dependent]);
  });

  it("follows the relations as they change: dropping consumesApis drops the edge", async () => {
    const { caller } = await callerWithRole("admin");
    await caller.catalog.importYaml({ yaml: catalogWith("sg2", true) });
    const website = await serviceId("sg2-example-website");
    expect((await impactOf(getDb(), website)).total).toBe(2);
    const report = await caller.catalog.importYaml({ yaml: catalogWith("sg2", false) });
    expect(report.counts.error).toBe(0);
    expect(await impactOf(getDb(), website)).toEqual({ items: [], total: 0 });
    expect(await loadDependencyEdges(getDb().kysely, [website, await serviceId("sg2-consumer")])).toEqual([]);
  });
});
