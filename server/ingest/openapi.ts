// OpenAPI 3.1 description of the ingestion API, served at /api/openapi.json.
const error = {
  type: "object",
  required: ["error"],
  properties: {
    error: { type: "string" },
    field: { type: ["string", "null"], description: "The offending field, e.g. subject.content.environment or X-Hub-Signature-256" },
  },
};
const errorResponses = (extra: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries({
      "400": "Malformed JSON or an invalid event; `field` names what is wrong",
      "401": "Missing or invalid credentials / signature",
      "413": "Body larger than 1 MB",
      ...extra,
    }).map(([code, description]) => [code, { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }]),
  );
const stored = {
  "200": {
    description: "Already received (same event id): nothing stored twice",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Stored" } } },
  },
  "202": { description: "Stored durably; processed asynchronously", content: { "application/json": { schema: { $ref: "#/components/schemas/Stored" } } } },
};

export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "Pier ingestion API",
    version: "1.0.0",
    description:
      "Delivery and incident events for Pier's DORA metrics. Events are validated, stored durably (idempotent by event id), then processed by a worker; failures are retried and end in a dead-letter list admins can retry.",
  },
  servers: [{ url: "/" }],
  paths: {
    "/api/events/cdevents": {
      post: {
        summary: "Send CDEvents (spec v0.4.1 or v0.5.1): one event or an array of up to 500",
        description:
          "Types used by the metrics: service.deployed, service.upgraded, service.rolledback, change.created, change.merged, incident.detected, incident.reported, incident.resolved (pipelinerun.finished and other well-formed types are stored but not used). Validated against the official JSON schemas; an array is accepted or refused as a whole.",
        security: [{ integrationToken: [] }],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { oneOf: [{ $ref: "#/components/schemas/CDEvent" }, { type: "array", items: { $ref: "#/components/schemas/CDEvent" }, maxItems: 500 }] },
            },
          },
        },
        responses: { ...stored, ...errorResponses() },
      },
    },
    "/api/webhooks/github": {
      post: {
        summary: "GitHub webhook deliveries (deployment_status, push, pull_request, workflow_run, deployment, ping)",
        parameters: [
          { name: "X-Hub-Signature-256", in: "header", required: true, schema: { type: "string", pattern: "^sha256=[0-9a-f]{64}$" } },
          { name: "X-GitHub-Event", in: "header", required: true, schema: { type: "string" } },
          { name: "X-GitHub-Delivery", in: "header", required: true, description: "Idempotency key", schema: { type: "string" } },
        ],
        requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
        responses: { ...stored, ...errorResponses() },
      },
    },
    "/api/webhooks/pagerduty": {
      post: {
        summary: "PagerDuty v3 webhook subscriptions (incident.triggered, incident.resolved; others stored and ignored)",
        parameters: [
          {
            name: "X-PagerDuty-Signature",
            in: "header",
            required: true,
            description: "v1=<hex>, several comma-separated during a secret rotation",
            schema: { type: "string" },
          },
        ],
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: { type: "object", required: ["event"], properties: { event: { type: "object", required: ["id", "event_type"] } } } },
          },
        },
        responses: { ...stored, ...errorResponses() },
      },
    },
  },
  components: {
    securitySchemes: {
      integrationToken: { type: "http", scheme: "bearer", description: "An integration token created by an admin under Admin → Integrations (pier_ing_…)" },
    },
    schemas: {
      Error: error,
      Stored: {
        type: "object",
        properties: {
          id: { type: "string" },
          duplicate: { type: "boolean" },
          accepted: { type: "integer" },
          duplicates: { type: "integer" },
          events: {
            type: "array",
            items: { type: "object", properties: { id: { type: "string" }, eventId: { type: "string" }, duplicate: { type: "boolean" } } },
          },
        },
      },
      CDEvent: {
        type: "object",
        required: ["context", "subject"],
        description: "See https://cdevents.dev/docs/ — the full per-type schemas are enforced server-side.",
        properties: {
          context: {
            type: "object",
            required: ["id", "source", "type", "timestamp"],
            properties: {
              specversion: { type: "string", description: "v0.5" },
              version: { type: "string", description: "v0.4" },
              id: { type: "string" },
              source: { type: "string" },
              type: { type: "string", example: "dev.cdevents.service.deployed.0.3.0" },
              timestamp: { type: "string", format: "date-time" },
            },
          },
          subject: { type: "object", required: ["id", "content"] },
          customData: { description: "Optional: service (for changes), authoredAt (commit time for change.merged), severity (incidents), rolledBackVersion" },
        },
      },
    },
  },
} as const;
