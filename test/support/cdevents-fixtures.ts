// CDEvents examples for tests: a valid event of each DORA-relevant type in spec v0.4 or v0.5.
export type Spec = "0.4" | "0.5";
export const TYPE_VERSIONS: Record<string, Record<Spec, string>> = {
  "service.deployed": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "service.upgraded": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "service.rolledback": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "change.created": { "0.4": "0.3.0", "0.5": "0.4.0" },
  "change.merged": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "pipelinerun.finished": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "incident.detected": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "incident.reported": { "0.4": "0.2.0", "0.5": "0.3.0" },
  "incident.resolved": { "0.4": "0.2.0", "0.5": "0.3.0" },
};

const CONTENT: Record<string, Record<string, unknown>> = {
  "service.deployed": { environment: { id: "prod" }, artifactId: "pkg:oci/orders@sha256:abc123" },
  "service.upgraded": { environment: { id: "prod" }, artifactId: "pkg:oci/orders@1.4.0" },
  "service.rolledback": { environment: { id: "prod" }, artifactId: "pkg:oci/orders@1.3.9" },
  "change.created": { repository: { id: "acme/orders" }, description: "Add retries" },
  "change.merged": { repository: { id: "acme/orders" } },
  "pipelinerun.finished": { pipelineName: "build", outcome: "success" },
  "incident.detected": { environment: { id: "prod" }, service: { id: "orders" }, description: "5xx spike" },
  "incident.reported": { environment: { id: "prod" }, service: { id: "orders" }, ticketURI: "https://tickets.example/INC-1" },
  "incident.resolved": { environment: { id: "prod" }, service: { id: "orders" } },
};

export function cdevent(
  kind: string,
  spec: Spec = "0.5",
  overrides: { id?: string; timestamp?: string; content?: Record<string, unknown>; subjectId?: string } = {},
) {
  const type = `dev.cdevents.${kind}.${TYPE_VERSIONS[kind][spec]}`;
  const context: Record<string, unknown> = {
    id: overrides.id ?? `evt-${Math.random().toString(36).slice(2)}`,
    source: "/ci/example",
    type,
    timestamp: overrides.timestamp ?? "2026-01-05T12:00:00Z",
  };
  context[spec === "0.5" ? "specversion" : "version"] = spec === "0.5" ? "0.5.1" : "0.4.1";
  const subject: Record<string, unknown> = {
    id: overrides.subjectId ?? (kind.startsWith("service") ? "service/orders" : "subject-1"),
    source: "/ci/example",
    content: structuredClone(overrides.content ?? CONTENT[kind]),
  };
  // v0.4 subjects carry their type ("pipelineRun" is camel-cased in the schema).
  if (spec === "0.4") subject.type = kind === "pipelinerun.finished" ? "pipelineRun" : kind.split(".")[0];
  return { context, subject };
}
