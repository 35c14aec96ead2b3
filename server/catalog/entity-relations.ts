// Entity references and the relations an entity declares, as Backstage's BuiltinKindsEntityProcessor reads them:
// a reference is `[kind:][namespace/]name`; a missing kind takes the field's default kind (owner → Group,
// system → System, …; dependsOn has none, so its references must name a kind), a missing namespace the entity's
// own. Refs are compared case-insensitively, so the stored key is lower-cased; names keep their spelling elsewhere.
import type { BackstageEntity } from "./backstage-mapping";

export const DEFAULT_NAMESPACE = "default";

export type Ref = { kind: string; namespace: string; name: string };

/** `kind:namespace/name`, lower-cased: the key entities and relations are stored and joined by. */
export const refKey = (r: Ref) => `${r.kind}:${r.namespace}/${r.name}`.toLowerCase();

export function refOfEntity(e: Pick<BackstageEntity, "kind" | "metadata">): Ref {
  return { kind: e.kind, namespace: e.metadata.namespace ?? DEFAULT_NAMESPACE, name: e.metadata.name };
}

/** Parses a reference in the context of a field; throws a readable error when the kind is missing with no default. */
function parseRef(raw: string, ctx: { defaultKind?: string; defaultNamespace: string }, field: string): Ref {
  let rest = raw.trim();
  let kind: string | undefined;
  const colon = rest.indexOf(":");
  if (colon > 0) {
    kind = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  let namespace = ctx.defaultNamespace;
  const slash = rest.indexOf("/");
  if (slash > 0) {
    namespace = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  kind = kind ?? ctx.defaultKind;
  if (!kind) throw new Error(`${field}: entity reference "${raw}" had missing or empty kind (e.g. did not start with "component:" or similar)`);
  if (!rest) throw new Error(`${field}: entity reference "${raw}" had missing or empty name`);
  return { kind, namespace, name: rest };
}

export type Relation = { type: string; target: Ref; field: string };

/** Which spec fields of which kinds make which relation (type names as Backstage's RELATION_* constants). */
const FIELDS: Record<string, { field: string; type: string; defaultKind?: string }[]> = {
  Component: [
    { field: "owner", type: "ownedBy", defaultKind: "Group" },
    { field: "system", type: "partOf", defaultKind: "System" },
    { field: "subcomponentOf", type: "partOf", defaultKind: "Component" },
    { field: "providesApis", type: "providesApi", defaultKind: "API" },
    { field: "consumesApis", type: "consumesApi", defaultKind: "API" },
    { field: "dependsOn", type: "dependsOn" },
    { field: "dependencyOf", type: "dependencyOf" },
  ],
  API: [
    { field: "owner", type: "ownedBy", defaultKind: "Group" },
    { field: "system", type: "partOf", defaultKind: "System" },
  ],
  Resource: [
    { field: "owner", type: "ownedBy", defaultKind: "Group" },
    { field: "system", type: "partOf", defaultKind: "System" },
    { field: "dependsOn", type: "dependsOn" },
    { field: "dependencyOf", type: "dependencyOf" },
  ],
  System: [
    { field: "owner", type: "ownedBy", defaultKind: "Group" },
    { field: "domain", type: "partOf", defaultKind: "Domain" },
  ],
  Domain: [
    { field: "owner", type: "ownedBy", defaultKind: "Group" },
    { field: "subdomainOf", type: "partOf", defaultKind: "Domain" },
  ],
  Group: [
    { field: "parent", type: "childOf", defaultKind: "Group" },
    { field: "children", type: "parentOf", defaultKind: "Group" },
    { field: "members", type: "hasMember", defaultKind: "User" },
  ],
  User: [{ field: "memberOf", type: "memberOf", defaultKind: "Group" }],
  AiResource: [
    { field: "owner", type: "ownedBy", defaultKind: "Group" },
    { field: "system", type: "partOf", defaultKind: "System" },
    { field: "dependsOn", type: "dependsOn" },
  ],
};

/** Relation names the other way round, for "who points at me" lists on entity pages. */
export const INVERSE: Record<string, string> = {
  ownedBy: "ownerOf",
  partOf: "hasPart",
  providesApi: "apiProvidedBy",
  consumesApi: "apiConsumedBy",
  dependsOn: "dependencyOf",
  dependencyOf: "dependsOn",
  childOf: "parentOf",
  parentOf: "childOf",
  hasMember: "memberOf",
  memberOf: "hasMember",
};

/** Every relation the entity declares (deduplicated), or the first malformed reference as an Error. */
export function relationsOf(e: BackstageEntity): Relation[] {
  const spec = (e.spec ?? {}) as Record<string, unknown>;
  const ns = e.metadata.namespace ?? DEFAULT_NAMESPACE;
  const out = new Map<string, Relation>();
  for (const f of FIELDS[e.kind] ?? []) {
    const raw = spec[f.field];
    const values = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
    for (const v of values) {
      if (typeof v !== "string") continue;
      const target = parseRef(v, { defaultKind: f.defaultKind, defaultNamespace: ns }, `spec.${f.field}`);
      out.set(`${f.type}|${refKey(target)}`, { type: f.type, target, field: f.field });
    }
  }
  return [...out.values()];
}
