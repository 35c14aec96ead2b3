// Validates Backstage entities against the official JSON schemas (copied in ./backstage-schema), as Backstage's
// own catalog does before it accepts an entity. The JSON files are copied unchanged from the npm package
// @backstage/catalog-model 1.10.3 (Apache License 2.0, Copyright The Backstage Authors); only the kinds Pier
// imports are kept, and backstage.test.ts checks they still match the upstream copies in the shared fixtures.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import common from "./backstage-schema/common.schema.json";
import entity from "./backstage-schema/Entity.schema.json";
import envelope from "./backstage-schema/EntityEnvelope.schema.json";
import meta from "./backstage-schema/EntityMeta.schema.json";
import api from "./backstage-schema/API.v1alpha1.schema.json";
import component from "./backstage-schema/Component.v1alpha1.schema.json";
import group from "./backstage-schema/Group.v1alpha1.schema.json";
import resource from "./backstage-schema/Resource.v1alpha1.schema.json";
import system from "./backstage-schema/System.v1alpha1.schema.json";

const SUPPORTED_KINDS = ["Component", "API", "Resource", "System", "Group"] as const;
export type SupportedKind = (typeof SUPPORTED_KINDS)[number];

const KIND_SCHEMA_IDS: Record<SupportedKind, string> = {
  Component: "ComponentV1alpha1",
  API: "ApiV1alpha1",
  Resource: "ResourceV1alpha1",
  System: "SystemV1alpha1",
  Group: "GroupV1alpha1",
};

let compiled: { envelope: ValidateFunction; kinds: Record<SupportedKind, ValidateFunction> } | undefined;

function validators() {
  if (compiled) return compiled;
  // strict: false — the upstream schemas carry `examples` and draft-07 idioms Ajv's strict mode rejects.
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const s of [common, entity, meta, envelope, api, component, group, resource, system]) ajv.addSchema(s);
  compiled = {
    envelope: ajv.getSchema("EntityEnvelope")!,
    kinds: Object.fromEntries(SUPPORTED_KINDS.map((k) => [k, ajv.getSchema(KIND_SCHEMA_IDS[k])!])) as Record<SupportedKind, ValidateFunction>,
  };
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

/** Problems with a supported kind's entity against its schema; empty when valid. */
export function entityProblems(kind: SupportedKind, value: unknown): string[] {
  const v = validators().kinds[kind];
  return v(value) ? [] : describe(v.errors);
}
