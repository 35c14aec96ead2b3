// Backstage's field-format rules (FieldFormatEntityPolicy with makeValidator()'s defaults, from
// @backstage/catalog-model's KubernetesValidatorFunctions and CommonValidatorFunctions; Apache License 2.0,
// Copyright The Backstage Authors), ported: the JSON schemas let `node.js` through as a tag, Backstage does not.
// Applied on import (an entity breaking one is refused) and on export (Pier never exports what Backstage refuses).

function isValidPrefixAndOrSuffix(value: unknown, separator: string, isValidPrefix: (v: string) => boolean, isValidSuffix: (v: string) => boolean) {
  if (typeof value !== "string") return false;
  const parts = value.split(separator);
  if (parts.length === 1) return isValidSuffix(parts[0]);
  if (parts.length === 2) return isValidPrefix(parts[0]) && isValidSuffix(parts[1]);
  return false;
}

function isValidDnsLabel(value: unknown): boolean {
  return typeof value === "string" && value.length >= 1 && value.length <= 63 && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(value);
}

function isValidDnsSubdomain(value: unknown): boolean {
  return typeof value === "string" && value.length >= 1 && value.length <= 253 && value.split(".").every(isValidDnsLabel);
}

const isValidUrl = (value: unknown) => typeof value === "string" && URL.canParse(value);
const isValidString = (value: unknown) => typeof value === "string" && value.trim().length >= 1;

const isValidApiVersion = (value: unknown) =>
  isValidPrefixAndOrSuffix(value, "/", isValidDnsSubdomain, (n) => n.length >= 1 && n.length <= 63 && /^[a-z0-9A-Z]+$/.test(n));
const isValidKind = (value: unknown) => typeof value === "string" && value.length >= 1 && value.length <= 63 && /^[a-zA-Z][a-z0-9A-Z]*$/.test(value);
/** metadata.name (isValidEntityName) and link icons. */
const isValidObjectName = (value: unknown) =>
  typeof value === "string" && value.length >= 1 && value.length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(value);
const isValidNamespace = isValidDnsLabel;
const isValidLabelKey = (value: unknown) => isValidPrefixAndOrSuffix(value, "/", isValidDnsSubdomain, isValidObjectName);
const isValidLabelValue = (value: unknown) => value === "" || isValidObjectName(value);
const isValidAnnotationKey = isValidLabelKey;
const isValidAnnotationValue = (value: unknown) => typeof value === "string";
export const isValidTag = (value: unknown) =>
  typeof value === "string" && value.length >= 1 && value.length <= 63 && /^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$/.test(value);

const EXPECTATION = {
  name: "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total",
  key: "a valid prefix and/or suffix",
  dns: "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total",
  string: "a string",
  kind: "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total",
  url: "a string that is a valid url",
  nonEmpty: "a non empty string",
  tag: "a string that is sequences of [a-z0-9+#] separated by [-], at most 63 characters in total",
};

type Entityish = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: unknown; annotations?: unknown; tags?: unknown; links?: unknown };
};

/** Every field-format problem of the entity, worded as Backstage words them; empty when Backstage would accept it. */
export function fieldFormatProblems(value: unknown): string[] {
  const e = (value ?? {}) as Entityish;
  const problems: string[] = [];
  const check = (field: string, v: unknown, ok: (v: unknown) => boolean, expected: string, optional = false) => {
    if (v === undefined || v === null) {
      if (!optional) problems.push(`${field} must have a value`);
      return;
    }
    if (!ok(v)) problems.push(`"${field}" is not valid; expected ${expected} but found "${String(v)}".`);
  };
  check("apiVersion", e.apiVersion, isValidApiVersion, EXPECTATION.key);
  check("kind", e.kind, isValidKind, EXPECTATION.kind);
  const m = e.metadata ?? {};
  check("metadata.name", m.name, isValidObjectName, EXPECTATION.name);
  check("metadata.namespace", m.namespace, isValidNamespace, EXPECTATION.dns, true);
  for (const [k, v] of Object.entries((m.labels ?? {}) as Record<string, unknown>)) {
    check(`labels.${k}`, k, isValidLabelKey, EXPECTATION.key);
    check(`labels.${k}`, v, isValidLabelValue, EXPECTATION.name);
  }
  for (const [k, v] of Object.entries((m.annotations ?? {}) as Record<string, unknown>)) {
    check(`annotations.${k}`, k, isValidAnnotationKey, EXPECTATION.key);
    check(`annotations.${k}`, v, isValidAnnotationValue, EXPECTATION.string);
  }
  const tags = Array.isArray(m.tags) ? m.tags : [];
  tags.forEach((t, i) => check(`tags.${i}`, t, isValidTag, EXPECTATION.tag));
  const links = (Array.isArray(m.links) ? m.links : []) as { url?: unknown; title?: unknown; icon?: unknown }[];
  links.forEach((l, i) => {
    check(`links.${i}.url`, l?.url, isValidUrl, EXPECTATION.url);
    check(`links.${i}.title`, l?.title, isValidString, EXPECTATION.nonEmpty, true);
    check(`links.${i}.icon`, l?.icon, isValidObjectName, EXPECTATION.name, true);
  });
  return problems;
}
