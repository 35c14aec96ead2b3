// How Backstage entities map onto Pier's catalog and back. Shared by import and export so they stay inverse.
//   Group                      → Team (slug = name, on-call from pier.dev/on-call-* annotations)
//   Component/API/Resource/System → Service with `kind` (spec.type → type, spec.lifecycle → lifecycle,
//                                 spec.owner → team, spec.system → system, dependsOn/consumesApis → dependencies)
// Pier-only fields travel as annotations, links with type "runbook" become the runbook URL, and spec fields Pier
// does not model (API definition, providesApis, …) are kept verbatim in Service.backstageSpec.

export const ANNOTATION = {
  tier: "pier.dev/tier",
  language: "pier.dev/language",
  onCallName: "pier.dev/on-call-name",
  onCallUrl: "pier.dev/on-call-url",
  sourceLocation: "backstage.io/source-location",
} as const;

/** spec keys Pier maps to its own columns; everything else is kept in backstageSpec. */
export const MAPPED_SPEC_KEYS = ["owner", "type", "lifecycle", "system", "dependsOn", "consumesApis"] as const;

export type EntityRef = { kind?: string; namespace?: string; name: string };

/** Parses `[kind:][namespace/]name` (Backstage's entity reference string). */
export function parseEntityRef(ref: string): EntityRef {
  let rest = ref.trim();
  let kind: string | undefined;
  const colon = rest.indexOf(":");
  if (colon > 0) {
    kind = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let namespace: string | undefined;
  const slash = rest.indexOf("/");
  if (slash > 0) {
    namespace = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  return { kind, namespace, name: rest };
}

/** Backstage names allow upper case, `.` and `_`; Pier slugs are lower-case words joined by dashes. */
export function slugFromName(name: string) {
  return name.trim().toLowerCase().replace(/[._]+/g, "-");
}

/** `url:https://github.com/org/repo/tree/main/` → the repository URL. */
export function repositoryFromSourceLocation(v: string | undefined): string | null {
  if (!v) return null;
  const url = v.replace(/^url:/, "").trim();
  return /^https?:\/\//.test(url) ? url : null;
}

export type BackstageEntity = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    title?: string;
    description?: string;
    tags?: string[];
    links?: { url: string; title?: string; type?: string; icon?: string }[];
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
};
