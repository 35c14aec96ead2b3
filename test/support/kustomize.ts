// A small Kustomize renderer for the subset deploy/ uses, so the manifests render and validate without kubectl:
//   resources (files, or directories holding a kustomization.yaml), namespace, labels (pairs, includeTemplates,
//   includeSelectors), configMapGenerator / secretGenerator (literals, envs; behavior create/merge/replace;
//   options.labels; a content-hash name suffix with the references in pod specs rewritten), patches (strategic merge
//   from a file: maps merge, `null` deletes a field, lists of objects merge by `name` (volumeMounts by `mountPath`,
//   ports by `containerPort`), other lists are replaced; `$patch: delete` removes the object), images (newName,
//   newTag, digest).
// Anything else in a kustomization.yaml is an error rather than being silently ignored. The hash suffix is ours
// (sha256 of the data), not byte-identical to kustomize's; everything that refers to the object uses the same one.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

// Kubernetes objects as parsed YAML.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

type Item = { obj: K8sObject; generated: boolean };
/** Reads a file the kustomization names (tests substitute a git-ignored file with its committed example). */
type ReadFile = (file: string) => string;

const KNOWN_FIELDS = new Set(["apiVersion", "kind", "namespace", "labels", "resources", "configMapGenerator", "secretGenerator", "patches", "images"]);

export function renderKustomization(dir: string, readFile: ReadFile = (f) => readFileSync(f, "utf8")): K8sObject[] {
  const items = renderDir(path.resolve(dir), readFile);
  // Content hashes last, once every merge has happened (as kustomize does), then the references follow.
  const renamed = new Map<string, string>();
  for (const item of items.filter((i) => i.generated)) {
    const { kind, metadata } = item.obj;
    const hash = createHash("sha256")
      .update(JSON.stringify({ kind, name: metadata.name, data: item.obj.data ?? {}, type: item.obj.type ?? null }))
      .digest("hex")
      .slice(0, 10);
    const name = `${metadata.name}-${hash}`;
    renamed.set(`${kind}/${metadata.name}`, name);
    metadata.name = name;
  }
  const objects = items.map((i) => i.obj);
  for (const obj of objects) {
    const pod = podSpec(obj);
    if (pod) rewritePodReferences(pod, renamed);
  }
  return objects;
}

function renderDir(dir: string, readFile: ReadFile): Item[] {
  const file = path.join(dir, "kustomization.yaml");
  const k = parseDocs(readFile(file), file)[0] as Record<string, unknown>;
  for (const field of Object.keys(k)) if (!KNOWN_FIELDS.has(field)) throw new Error(`${file}: "${field}" is not supported by this renderer`);

  let items: Item[] = [];
  for (const res of (k.resources as string[] | undefined) ?? []) {
    const target = path.join(dir, res);
    if (existsSync(target) && statSync(target).isDirectory()) items.push(...renderDir(target, readFile));
    else items.push(...parseDocs(readFile(target), target).map((obj) => ({ obj: obj as K8sObject, generated: false })));
  }

  for (const [kind, field] of [
    ["ConfigMap", "configMapGenerator"],
    ["Secret", "secretGenerator"],
  ] as const) {
    for (const gen of (k[field] as Generator[] | undefined) ?? []) items = applyGenerator(items, kind, gen, dir, readFile);
  }

  for (const patch of (k.patches as { path?: string; target?: unknown; patch?: string }[] | undefined) ?? []) {
    if (!patch.path || patch.target || patch.patch) throw new Error(`${file}: only "patches: - path: <file>" (strategic merge) is supported`);
    const patchFile = path.join(dir, patch.path);
    for (const p of parseDocs(readFile(patchFile), patchFile) as K8sObject[]) {
      const idx = items.findIndex((i) => sameObject(i.obj, p));
      if (idx < 0) throw new Error(`${patchFile}: no ${p.kind} "${p.metadata?.name}" to patch`);
      if (p.$patch === "delete") items.splice(idx, 1);
      else items[idx] = { ...items[idx], obj: strategicMerge(items[idx].obj, p) as K8sObject };
    }
  }

  if (typeof k.namespace === "string") for (const i of items) i.obj.metadata.namespace = k.namespace;

  for (const l of (k.labels as LabelSpec[] | undefined) ?? []) applyLabels(items, l);

  for (const image of (k.images as ImageSpec[] | undefined) ?? []) for (const i of items) setImage(i.obj, image);
  return items;
}

type Generator = {
  name: string;
  behavior?: "create" | "merge" | "replace";
  literals?: string[];
  envs?: string[];
  options?: { labels?: Record<string, string>; disableNameSuffixHash?: boolean };
};

function applyGenerator(items: Item[], kind: "ConfigMap" | "Secret", gen: Generator, dir: string, readFile: ReadFile): Item[] {
  const data: Record<string, string> = {};
  const put = (line: string, where: string) => {
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`${where}: "${line}" is not KEY=value`);
    data[line.slice(0, eq).trim()] = line.slice(eq + 1);
  };
  for (const l of gen.literals ?? []) put(l, `${kind} ${gen.name} literal`);
  for (const env of gen.envs ?? []) {
    const file = path.join(dir, env);
    for (const line of readFile(file).split("\n")) if (line.trim() && !line.trim().startsWith("#")) put(line, file);
  }
  const encoded = kind === "Secret" ? Object.fromEntries(Object.entries(data).map(([key, v]) => [key, Buffer.from(v).toString("base64")])) : data;
  const existing = items.findIndex((i) => i.obj.kind === kind && i.obj.metadata.name === gen.name);
  const behavior = gen.behavior ?? "create";
  if (behavior === "create") {
    if (existing >= 0) throw new Error(`${kind} ${gen.name} is generated twice (use behavior: merge)`);
    const obj: K8sObject = { apiVersion: "v1", kind, metadata: { name: gen.name, labels: { ...gen.options?.labels } }, data: encoded };
    if (kind === "Secret") obj.type = "Opaque";
    return [...items, { obj, generated: !gen.options?.disableNameSuffixHash }];
  }
  if (existing < 0) throw new Error(`${kind} ${gen.name}: behavior ${behavior} needs one from a base`);
  const base = items[existing].obj;
  const next = { ...base, data: behavior === "merge" ? { ...base.data, ...encoded } : encoded };
  return items.map((i, n) => (n === existing ? { ...i, obj: next } : i));
}

type LabelSpec = { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean };

function applyLabels(items: Item[], spec: LabelSpec) {
  for (const { obj } of items) {
    obj.metadata.labels = { ...obj.metadata.labels, ...spec.pairs };
    const template = obj.spec?.template ?? obj.spec?.jobTemplate?.spec?.template;
    if ((spec.includeTemplates || spec.includeSelectors) && template) {
      template.metadata ??= {};
      template.metadata.labels = { ...template.metadata.labels, ...spec.pairs };
    }
    if (spec.includeSelectors) {
      if (obj.kind === "Service") obj.spec.selector = { ...obj.spec.selector, ...spec.pairs };
      else if (obj.spec?.selector?.matchLabels) obj.spec.selector.matchLabels = { ...obj.spec.selector.matchLabels, ...spec.pairs };
    }
  }
}

type ImageSpec = { name: string; newName?: string; newTag?: string; digest?: string };

function setImage(obj: K8sObject, spec: ImageSpec) {
  const pod = podSpec(obj);
  if (!pod) return;
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    const image = String(c.image);
    const at = image.indexOf("@");
    const withoutDigest = at >= 0 ? image.slice(0, at) : image;
    const colon = withoutDigest.lastIndexOf(":");
    const hasTag = colon > withoutDigest.lastIndexOf("/");
    const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
    if (name !== spec.name) continue;
    const tag = spec.digest ? `@${spec.digest}` : spec.newTag ? `:${spec.newTag}` : hasTag ? withoutDigest.slice(colon) : "";
    c.image = `${spec.newName ?? name}${tag}`;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpec(obj: K8sObject): any {
  return obj.spec?.template?.spec ?? obj.spec?.jobTemplate?.spec?.template?.spec;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function rewritePodReferences(pod: any, renamed: Map<string, string>) {
  const ref = (kind: string, holder: { name?: string } | undefined, field: "name" | "secretName" = "name") => {
    const h = holder as Record<string, string> | undefined;
    if (h?.[field] && renamed.has(`${kind}/${h[field]}`)) h[field] = renamed.get(`${kind}/${h[field]}`)!;
  };
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    for (const from of c.envFrom ?? []) {
      ref("ConfigMap", from.configMapRef);
      ref("Secret", from.secretRef);
    }
    for (const e of c.env ?? []) {
      ref("ConfigMap", e.valueFrom?.configMapKeyRef);
      ref("Secret", e.valueFrom?.secretKeyRef);
    }
  }
  for (const v of pod.volumes ?? []) {
    ref("ConfigMap", v.configMap);
    ref("Secret", v.secret, "secretName");
  }
}

function sameObject(a: K8sObject, b: K8sObject) {
  const group = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");
  return a.kind === b.kind && group(a.apiVersion) === group(b.apiVersion) && a.metadata.name === b.metadata?.name;
}

const LIST_KEYS: Record<string, string> = { volumeMounts: "mountPath", ports: "containerPort" };

function strategicMerge(base: unknown, patch: unknown, field = ""): unknown {
  if (Array.isArray(patch)) {
    const key = LIST_KEYS[field] ?? "name";
    const keyed = (list: unknown[]) => list.every((x) => x !== null && typeof x === "object" && key in (x as object));
    if (!Array.isArray(base) || !keyed(base) || !keyed(patch)) return patch;
    const merged = [...base] as Record<string, unknown>[];
    for (const p of patch as Record<string, unknown>[]) {
      const idx = merged.findIndex((b) => b[key] === p[key]);
      if (idx >= 0) merged[idx] = strategicMerge(merged[idx], p) as Record<string, unknown>;
      else merged.push(p);
    }
    return merged;
  }
  if (patch === null || typeof patch !== "object") return patch;
  if (base === null || typeof base !== "object" || Array.isArray(base)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, k);
  }
  return out;
}

function parseDocs(text: string, file: string): unknown[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS() as unknown;
    })
    .filter((d) => d !== null && d !== undefined);
}
