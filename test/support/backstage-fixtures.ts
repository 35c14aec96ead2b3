// Backstage catalogs for tests, grown from the real create-app example catalog in the shared fixtures
// (backstage/entities.yaml + org.yaml, Apache-2.0): copies with renamed entities, never hand-written YAML.
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";

import { SHARED_FIXTURES } from "./shared-fixtures";

export { SHARED_FIXTURES };
const FIXTURES = path.join(SHARED_FIXTURES, "backstage");

export const backstageFixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

type Entity = { kind: string; metadata: { name: string }; spec?: Record<string, unknown> };

/** Every string equal to a name in `names` renamed (names and references alike: owner, system, memberOf, …). */
function renamed(value: unknown, rename: (name: string) => string, names: Set<string>): unknown {
  if (typeof value === "string") return names.has(value) ? rename(value) : value;
  if (Array.isArray(value)) return value.map((v) => renamed(v, rename, names));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamed(v, rename, names)]));
  return value;
}

/**
 * `copies` copies of the example catalog, 5 documents each (System, Component, API, then User and Group: the owner
 * team comes after the entities it owns), every name and reference prefixed `<prefix>-<copy>-`. Each Component also
 * consumes its copy's API, an entity further down the file. Per copy: 4 importable entities, 1 User Pier skips,
 * 3 services, 1 dependency.
 */
export function exampleCatalogCopies(copies: number, prefix: string): string {
  const base = [...YAML.parseAllDocuments(backstageFixture("entities.yaml")), ...YAML.parseAllDocuments(backstageFixture("org.yaml"))]
    .map((d) => d.toJS() as Entity | null)
    .filter((e): e is Entity => e !== null);
  const names = new Set(base.map((e) => e.metadata.name));
  const api = base.find((e) => e.kind === "API")!.metadata.name;
  const parts: string[] = [];
  for (let i = 0; i < copies; i++) {
    const rename = (name: string) => `${prefix}-${i}-${name}`;
    for (const entity of base) {
      const copy = renamed(entity, rename, names) as Entity;
      if (copy.kind === "Component") copy.spec = { ...copy.spec, consumesApis: [rename(api)] };
      parts.push(`---\n${YAML.stringify(copy)}`);
    }
  }
  return parts.join("");
}

/** The example catalog (entities.yaml + org.yaml) as entities, every name and reference prefixed `<prefix>-`. */
export function exampleCatalog(prefix: string): Entity[] {
  const base = [...YAML.parseAllDocuments(backstageFixture("entities.yaml")), ...YAML.parseAllDocuments(backstageFixture("org.yaml"))]
    .map((d) => d.toJS() as Entity | null)
    .filter((e): e is Entity => e !== null);
  const names = new Set(base.map((e) => e.metadata.name));
  return base.map((e) => renamed(e, (n) => `${prefix}-${n}`, names) as Entity);
}

export const toYamlDocs = (entities: unknown[]) => entities.map((e) => `---\n${YAML.stringify(e)}`).join("");
