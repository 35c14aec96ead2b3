// deploy/: both overlays render (test/support/kustomize.ts, the subset of Kustomize they use), every object passes
// the Kubernetes schema of its kind (kubernetes-models; KEDA's ScaledObject with @kubernetes-models/keda), and the
// rules the README promises hold in what is actually rendered: non-root, read-only root filesystem, no capabilities,
// requests and limits, readiness vs liveness, references that resolve, selectors that select.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigMap, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { parseEnv } from "../server/env";
import { podSpec, renderKustomization, type K8sObject } from "./support/kustomize";

const root = path.join(__dirname, "..");
const overlay = (name: string) => path.join(root, "deploy", "overlays", name);

// The dev overlay generates its Secret from secrets.env, which is git-ignored: render with the committed example.
const readWithExample = (file: string) => readFileSync(existsSync(file) || !file.endsWith("secrets.env") ? file : `${file}.example`, "utf8");

type Model = { validate(): void };
const MODELS: Record<string, (o: K8sObject) => Model> = {
  "v1/ConfigMap": (o) => new ConfigMap(o as never),
  "v1/Secret": (o) => new Secret(o as never),
  "v1/Service": (o) => new Service(o as never),
  "v1/ServiceAccount": (o) => new ServiceAccount(o as never),
  "apps/v1/Deployment": (o) => new Deployment(o as never),
  "batch/v1/Job": (o) => new Job(o as never),
  "autoscaling/v2/HorizontalPodAutoscaler": (o) => new HorizontalPodAutoscaler(o as never),
  "policy/v1/PodDisruptionBudget": (o) => new PodDisruptionBudget(o as never),
  "networking.k8s.io/v1/NetworkPolicy": (o) => new NetworkPolicy(o as never),
  "keda.sh/v1alpha1/ScaledObject": (o) => new ScaledObject(o as never),
};

/** Throws naming the object when it is not a valid object of a kind deploy/ is allowed to contain. */
function validate(o: K8sObject) {
  const model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!model) throw new Error(`${o.apiVersion} ${o.kind} "${o.metadata?.name}" is not a kind deploy/ may contain`);
  try {
    model(structuredClone(o)).validate();
  } catch (err) {
    throw new Error(`${o.kind} "${o.metadata.name}": ${err instanceof Error ? err.message : String(err)}`);
  }
  if (o.kind === "ScaledObject") validateScaledObject(o);
}

/** KEDA's own admission rules beyond the CRD schema, for the triggers deploy/ uses. */
function validateScaledObject(o: K8sObject) {
  const triggers = o.spec?.triggers ?? [];
  if (!o.spec?.scaleTargetRef?.name) throw new Error(`ScaledObject "${o.metadata.name}": spec.scaleTargetRef.name is required`);
  if (triggers.length === 0) throw new Error(`ScaledObject "${o.metadata.name}": spec.triggers is empty`);
  for (const t of triggers) {
    const m = t.metadata ?? {};
    if (t.type === "redis") {
      if (!m.address && !m.addressFromEnv && !(m.host && m.port)) throw new Error(`redis trigger ${m.listName}: needs address, addressFromEnv or host+port`);
      if (!m.listName || !/^\d+$/.test(String(m.listLength ?? ""))) throw new Error(`redis trigger: listName and a numeric listLength are required`);
    } else if (t.type === "cpu") {
      if (!["Utilization", "AverageValue"].includes(t.metricType) || !/^\d+$/.test(String(m.value ?? ""))) throw new Error("cpu trigger: metricType and value");
    } else throw new Error(`trigger type ${t.type} is not checked here`);
  }
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const get = (objs: K8sObject[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const workloads = (objs: K8sObject[]) => objs.filter((o) => podSpec(o));

function checkInvariants(objs: K8sObject[], opts: { externalSecrets: string[] }) {
  for (const o of objs) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name} namespace`).toBeTruthy();

  for (const w of workloads(objs)) {
    const pod = podSpec(w);
    const where = `${w.kind} ${w.metadata.name}`;
    expect(pod.securityContext?.runAsNonRoot, `${where} runAsNonRoot`).toBe(true);
    expect(pod.securityContext?.runAsUser, `${where} runAsUser`).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken, `${where} service-account token`).toBe(false);
    const volumes = new Map<string, K8sObject>(pod.volumes.map((v: K8sObject) => [v.name, v]));
    for (const c of pod.containers) {
      expect(c.securityContext, `${where}/${c.name} securityContext`).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      for (const r of ["cpu", "memory"]) {
        expect(c.resources?.requests?.[r], `${where}/${c.name} requests.${r}`).toBeTruthy();
        expect(c.resources?.limits?.[r], `${where}/${c.name} limits.${r}`).toBeTruthy();
      }
      // A read-only root filesystem needs somewhere writable for /tmp, backed by an emptyDir.
      const tmp = c.volumeMounts?.find((m: { mountPath: string }) => m.mountPath === "/tmp");
      expect(tmp && volumes.get(tmp.name)?.emptyDir, `${where}/${c.name} /tmp emptyDir`).toBeTruthy();
      // Every ConfigMap/Secret it reads exists in the render (or is one the overlay says is created outside it).
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) expect(get(objs, "ConfigMap", from.configMapRef.name)).toBeTruthy();
        if (from.secretRef && !opts.externalSecrets.includes(from.secretRef.name)) expect(get(objs, "Secret", from.secretRef.name)).toBeTruthy();
      }
    }
    // The workload's own selector selects its pods.
    if (w.kind === "Deployment") expect(selects(w.spec.selector.matchLabels, w.spec.template.metadata.labels), `${where} selector`).toBe(true);
  }

  // Services, budgets and policies select pods some workload actually creates.
  const podLabels = workloads(objs).map((w) => w.spec.template.metadata.labels);
  for (const s of byKind(objs, "Service"))
    expect(
      podLabels.some((l) => selects(s.spec.selector, l)),
      `Service ${s.metadata.name} selects`,
    ).toBe(true);
  for (const p of [...byKind(objs, "PodDisruptionBudget"), ...byKind(objs, "NetworkPolicy")])
    expect(
      podLabels.some((l) => selects(p.spec.selector?.matchLabels ?? p.spec.podSelector.matchLabels, l)),
      `${p.kind} ${p.metadata.name} selects`,
    ).toBe(true);
  // Every autoscaler targets a Deployment in the render; no Deployment has two.
  const scalers = [...byKind(objs, "HorizontalPodAutoscaler"), ...byKind(objs, "ScaledObject")];
  for (const s of scalers) expect(get(objs, "Deployment", s.spec.scaleTargetRef.name)).toBeTruthy();
  const targets = scalers.map((s) => s.spec.scaleTargetRef.name);
  expect(new Set(targets).size, "one autoscaler per Deployment").toBe(targets.length);

  // Web: ready when Postgres and Redis answer, alive without touching them; the Service reaches its port.
  const web = podSpec(get(objs, "Deployment", "pier-web")).containers[0];
  expect(web.readinessProbe.httpGet.path).toBe("/api/health");
  expect(web.livenessProbe.httpGet.path).toBe("/api/health/live");
  expect(web.ports.map((p: { name: string }) => p.name)).toContain(get(objs, "Service", "pier-web").spec.ports[0].targetPort);
  expect(web.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain("/app/.next/cache");

  // Workers: liveness asks the port the process is told to serve its health on; the grace period covers a drain.
  const workersPod = podSpec(get(objs, "Deployment", "pier-workers"));
  const workers = workersPod.containers[0];
  expect(workers.command).toEqual(["node", "dist/workers.cjs"]);
  const port = workers.env.find((e: { name: string }) => e.name === "PIER_WORKER_HEALTH_PORT").value;
  expect(workers.livenessProbe.exec.command.join(" ")).toContain(`127.0.0.1:${port}/`);
  expect(workersPod.terminationGracePeriodSeconds).toBe(40);

  const migrate = get(objs, "Job", "pier-migrate");
  expect(podSpec(migrate).containers[0].command).toEqual(["node", "dist/migrate.cjs"]);
  expect(podSpec(migrate).containers[0].image).toBe(web.image);
  expect(workers.image).toBe(web.image);
}

describe("deploy/ Kustomize overlays", () => {
  it("dev renders, validates against the Kubernetes schemas, and keeps the rules", () => {
    const objs = renderKustomization(overlay("dev"), readWithExample);
    for (const o of objs) validate(o);
    checkInvariants(objs, { externalSecrets: [] });
    expect(objs.every((o) => o.metadata.namespace === "pier-dev")).toBe(true);
    // Generated names carry a content hash and the pods refer to exactly those names.
    const config = byKind(objs, "ConfigMap")[0];
    expect(config.metadata.name).toMatch(/^pier-config-[0-9a-f]{10}$/);
    expect(config.data).toMatchObject({ PIER_DEMO_LOGIN: "false", LOG_LEVEL: "debug", NODE_ENV: "production", PIER_BASE_URL: "http://pier.dev.localhost" });
    const secret = byKind(objs, "Secret")[0];
    expect(secret.metadata.name).toMatch(/^pier-secrets-[0-9a-f]{10}$/);
    // What each container would see (ConfigMap + Secret + its own env) is a valid production configuration.
    const secretEnv = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    for (const w of workloads(objs)) {
      const own = Object.fromEntries((podSpec(w).containers[0].env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
      const parsed = parseEnv({ ...config.data, ...secretEnv, ...own });
      expect(parsed.NODE_ENV).toBe("production");
      expect(parsed.demoLoginEnabled).toBe(false);
    }
    // CPU fallback HPAs for both; one pod each, budgets that let a node drain.
    expect(byKind(objs, "HorizontalPodAutoscaler").map((h) => h.metadata.name)).toEqual(["pier-web", "pier-workers"]);
    expect(byKind(objs, "ScaledObject")).toEqual([]);
    expect(get(objs, "Deployment", "pier-web").spec.replicas).toBe(1);
    expect(get(objs, "PodDisruptionBudget", "pier-web").spec).not.toHaveProperty("minAvailable");
    expect(get(objs, "PodDisruptionBudget", "pier-web").spec.maxUnavailable).toBe(1);
  });

  it("prod renders, validates, scales workers with KEDA on the BullMQ wait lists, and commits no Secret", () => {
    const objs = renderKustomization(overlay("prod"));
    for (const o of objs) validate(o);
    checkInvariants(objs, { externalSecrets: ["pier-secrets"] });
    expect(byKind(objs, "Secret")).toEqual([]);
    expect(objs.every((o) => o.metadata.namespace === "pier")).toBe(true);
    // KEDA owns the workers' HPA: the base CPU HPA is gone, the web one stays.
    expect(byKind(objs, "HorizontalPodAutoscaler").map((h) => h.metadata.name)).toEqual(["pier-web"]);
    const scaled = get(objs, "ScaledObject", "pier-workers");
    const prefix = byKind(objs, "ConfigMap")[0].data.REDIS_PREFIX;
    const lists = scaled.spec.triggers.filter((t: { type: string }) => t.type === "redis").map((t: { metadata: { listName: string } }) => t.metadata.listName);
    expect(lists).toContain(`${prefix}:pier-deployments:wait`);
    for (const l of lists) expect(l).toMatch(new RegExp(`^${prefix}:pier-[a-z_-]+:wait$`));
    // The image is pinned to a registry and a tag.
    const image = podSpec(get(objs, "Deployment", "pier-web")).containers[0].image;
    expect(image).toMatch(/^[a-z0-9.-]+\/.+:[0-9][\w.-]*$/);
    expect(get(objs, "HorizontalPodAutoscaler", "pier-web").spec.minReplicas).toBe(3);
  });

  it("the validation rejects an invalid object and an unknown kind", () => {
    const objs = renderKustomization(overlay("prod"));
    const broken = structuredClone(get(objs, "Deployment", "pier-web"));
    broken.spec.template.spec.containers[0].ports[0].containerPort = "http";
    expect(() => validate(broken)).toThrow(/Deployment "pier-web"/);
    const hpa = structuredClone(get(objs, "HorizontalPodAutoscaler", "pier-web"));
    delete hpa.spec.maxReplicas;
    expect(() => validate(hpa)).toThrow(/maxReplicas/);
    const scaled = structuredClone(get(objs, "ScaledObject", "pier-workers"));
    delete scaled.spec.triggers[0].metadata.listLength;
    expect(() => validate(scaled)).toThrow(/listLength/);
    expect(() => validate({ apiVersion: "v1", kind: "Pod", metadata: { name: "x" } })).toThrow(/not a kind/);
  });
});
