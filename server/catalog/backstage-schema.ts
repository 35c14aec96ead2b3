// Validates Backstage entities against the official JSON schemas (copied in ./backstage-schema), as Backstage's
// own catalog does before it accepts an entity. The JSON files are copied unchanged from Backstage's
// @backstage/catalog-model (Apache License 2.0, Copyright The Backstage Authors): every kind of the current schemas,
// with the spec.type variants (API "mcp-server", AiResource "skill"/"rule"/"plugin"/"marketplace"); backstage.test.ts
// checks they still match the upstream copies in the shared fixtures.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import common from "./backstage-schema/common.schema.json";
import entity from "./backstage-schema/Entity.schema.json";
import envelope from "./backstage-schema/EntityEnvelope.schema.json";
import meta from "./backstage-schema/EntityMeta.schema.json";
import aiResource from "./backstage-schema/AiResource.v1alpha1.schema.json";
import aiMarketplace from "./backstage-schema/AiResource.v1alpha1.marketplace.schema.json";
import aiPlugin from "./backstage-schema/AiResource.v1alpha1.plugin.schema.json";
import aiRule from "./backstage-schema/AiResource.v1alpha1.rule.schema.json";
import aiSkill from "./backstage-schema/AiResource.v1alpha1.skill.schema.json";
import api from "./backstage-schema/API.v1alpha1.schema.json";
import apiMcp from "./backstage-schema/API.v1alpha1.mcp-server.schema.json";
import component from "./backstage-schema/Component.v1alpha1.schema.json";
import domain from "./backstage-schema/Domain.v1alpha1.schema.json";
import group from "./backstage-schema/Group.v1alpha1.schema.json";
import location from "./backstage-schema/Location.v1alpha1.schema.json";
import resource from "./backstage-schema/Resource.v1alpha1.schema.json";
import system from "./backstage-schema/System.v1alpha1.schema.json";
import user from "./backstage-schema/User.v1alpha1.schema.json";

export const SUPPORTED_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "AiResource"] as const;
export type SupportedKind = (typeof SUPPORTED_KINDS)[number];

/** Each kind's schema, and the schemas of its spec.type variants (validated instead of the general one). */
const KIND_SCHEMAS: Record<SupportedKind, { id: string; variants?: Record<string, string> }> = {
  Component: { id: "ComponentV1alpha1" },
  API: { id: "ApiV1alpha1", variants: { "mcp-server": "ApiV1alpha1McpServer" } },
  Resource: { id: "ResourceV1alpha1" },
  System: { id: "SystemV1alpha1" },
  Domain: { id: "DomainV1alpha1" },
  Group: { id: "GroupV1alpha1" },
  User: { id: "UserV1alpha1" },
  Location: { id: "LocationV1alpha1" },
  AiResource: {
    id: "AiResourceV1alpha1",
    variants: {
      skill: "AiResourceV1alpha1Skill",
      rule: "AiResourceV1alpha1Rule",
      plugin: "AiResourceV1alpha1Plugin",
      marketplace: "AiResourceV1alpha1Marketplace",
    },
  },
};

let compiled: { ajv: Ajv; envelope: ValidateFunction } | undefined;

function validators() {
  if (compiled) return compiled;
  // strict: false — the upstream schemas carry `examples` and draft-07 idioms Ajv's strict mode rejects.
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schemas = [common, entity, meta, envelope, api, apiMcp, component, group, resource, system, domain, user, location];
  for (const s of [...schemas, aiResource, aiSkill, aiRule, aiPlugin, aiMarketplace]) ajv.addSchema(s);
  compiled = { ajv, envelope: ajv.getSchema("EntityEnvelope")! };
  return compiled;
}

const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    // allOf/if wrappers repeat the real problem; keep the concrete ones.
    .filter((e) => e.keyword !== "allOf")
    .map((e) => `${e.instancePath || "(entity)"} ${e.message ?? "is invalid"}${e.keyword === "enum" ? `: ${JSON.stringify(e.params.allowedValues)}` : ""}`);

export function isSupportedKind(kind: unknown): kind is SupportedKind {
  return typeof kind === "string" && (SUPPORTED_KINDS as readonly string[]).includes(kind);
}

/** Problems with the envelope (apiVersion/kind/metadata.name); empty when it is sound. */
export function envelopeProblems(value: unknown): string[] {
  const v = validators().envelope;
  return v(value) ? [] : describe(v.errors);
}

/** Problems with a supported kind's entity against its schema (its spec.type variant's, if it has one). */
export function entityProblems(kind: SupportedKind, value: unknown): string[] {
  const { id, variants } = KIND_SCHEMAS[kind];
  const type = (value as { spec?: { type?: unknown } })?.spec?.type;
  const v = validators().ajv.getSchema((typeof type === "string" && variants?.[type]) || id)!;
  return v(value) ? [] : describe(v.errors);
}
