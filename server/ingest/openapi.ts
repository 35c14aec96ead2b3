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
      "413": "Body larger than 1 MB (25 MB for GitHub)",
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

/** A delivery tool's webhook: the vendor's own JSON, authenticated its way, stored once by its delivery id. */
const vendorWebhook = (summary: string, parameters: Array<{ name: string; in: "header" | "query" | "path"; required: boolean; description: string }>) => ({
  post: {
    summary,
    parameters: parameters.map((p) => ({ ...p, schema: { type: "string" } })),
    requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
    responses: { ...stored, ...errorResponses() },
  },
});

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
        summary: "Send CDEvents (spec v0.4.x or v0.5.x): one event or an array of up to 500, plain or as CloudEvents",
        description:
          "Every event is validated against the official JSON schema of its type in the spec release it declares (context.version 0.4.0/0.4.1 or context.specversion 0.5.0/0.5.1; any other version is refused). Types used by the metrics: service.deployed, service.upgraded, service.rolledback, change.created, change.merged, incident.detected, incident.reported, incident.resolved; the other types of the release are stored but not used; custom (dev.cdeventsx.*) types and types the release does not define are stored and counted as unknown on the data-quality page. CloudEvents (the CDEvents binding): structured mode (application/cloudevents+json, the CDEvent in data or data_base64), batched mode (application/cloudevents-batch+json) and binary mode (ce-specversion 1.0, ce-id, ce-source, ce-type headers; the CDEvent as an application/json body); the CloudEvent's id, source, type, subject and time must equal the CDEvent's. A request is accepted or refused as a whole. The Jenkins CDEvents plugin's HTTP sink body (Java CloudEvent.toString() text with the CDEvent as byte values, CDEvents 0.1.x) is accepted as sent; its pipelinerun/taskrun events, like those of every release, become pipeline runs. Senders that cannot set a header may pass the token as ?token=.",
        security: [{ integrationToken: [] }, { integrationTokenQuery: [] }],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { oneOf: [{ $ref: "#/components/schemas/CDEvent" }, { type: "array", items: { $ref: "#/components/schemas/CDEvent" }, maxItems: 500 }] },
            },
            "application/cloudevents+json": { schema: { $ref: "#/components/schemas/CloudEvent" } },
            "application/cloudevents-batch+json": { schema: { type: "array", items: { $ref: "#/components/schemas/CloudEvent" }, maxItems: 500 } },
          },
        },
        responses: { ...stored, ...errorResponses({ "415": "A CloudEvents format or data content type other than JSON" }) },
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
        requestBody: {
          required: true,
          description: "Up to 25 MB (GitHub's maximum); the signature is over the raw body in either content type",
          content: {
            "application/json": { schema: { type: "object" } },
            "application/x-www-form-urlencoded": {
              schema: { type: "object", required: ["payload"], properties: { payload: { type: "string", description: "The JSON" } } },
            },
          },
        },
        responses: { ...stored, ...errorResponses() },
      },
    },
    "/api/webhooks/pagerduty": {
      post: {
        summary:
          "PagerDuty v3 webhook subscriptions (incident.triggered, .acknowledged, .unacknowledged, .priority_updated, .resolved, .reopened; others stored and ignored)",
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
    "/api/webhooks/gitlab": vendorWebhook("GitLab project/group webhooks: pipeline, job, deployment, merge request and push hooks", [
      { name: "X-Gitlab-Token", in: "header", required: true, description: "The hook's secret token (a GitLab secret)" },
      { name: "Idempotency-Key", in: "header", required: false, description: "Delivery id, kept across GitLab's retries (else the body's sha256)" },
    ]),
    "/api/webhooks/argocd": vendorWebhook("Argo CD Notifications webhook service, with the templates in deploy/integrations/argocd-notifications-cm.yaml", [
      { name: "Authorization", in: "header", required: true, description: "Bearer <an Argo CD secret>" },
    ]),
    "/api/webhooks/terraform": vendorWebhook("HCP Terraform / Terraform Enterprise run notifications", [
      { name: "X-TFE-Notification-Signature", in: "header", required: true, description: "Hex HMAC-SHA512 of the raw body keyed with the notification token" },
    ]),
    "/api/webhooks/jenkins": vendorWebhook("Jenkins Notification plugin (JSON): every build phase → a pipeline run; deploy jobs → deployments", [
      { name: "token", in: "query", required: false, description: "A Jenkins secret (the plugin cannot set headers); or Authorization: Bearer" },
    ]),
    "/api/webhooks/jira": vendorWebhook("Jira issue webhooks: ticket status for deployment requests; incidents for the configured issue types", [
      { name: "X-Hub-Signature", in: "header", required: false, description: "sha256=<hex HMAC-SHA256 of the raw body> (Jira Cloud admin webhook secret)" },
      { name: "token", in: "query", required: false, description: "A Jira secret, for Jira Data Center (which signs nothing)" },
      { name: "X-Atlassian-Webhook-Identifier", in: "header", required: false, description: "Delivery id, kept across Jira's retries" },
    ]),
    "/api/webhooks/unleash": vendorWebhook("Unleash Webhook addon (default body: the event as JSON): feature-* events → flag changes on the service timeline", [
      { name: "Authorization", in: "header", required: true, description: "Bearer <an Unleash secret> (the addon's Authorization parameter)" },
    ]),
    "/api/webhooks/launchdarkly": vendorWebhook("LaunchDarkly webhooks (audit-log entries): kind flag → flag changes on the service timeline", [
      { name: "X-LD-Signature", in: "header", required: true, description: "Hex HMAC-SHA256 of the raw body keyed with the webhook's secret" },
    ]),
    "/api/webhooks/flagsmith": vendorWebhook("Flagsmith environment webhooks: FLAG_UPDATED → flag changes on the service timeline", [
      { name: "X-Flagsmith-Signature", in: "header", required: true, description: "Hex HMAC-SHA256 of the raw body keyed with the webhook's secret" },
    ]),
    "/api/webhooks/custom/{slug}": {
      post: {
        summary: "A custom source defined under Admin → Integrations: any JSON, mapped to CDEvents by the source's current JSONata mapping",
        description:
          "Authenticated as the source says (Authorization: Bearer, an HMAC header with its algorithm/encoding/prefix, or Basic). The mapping's output (one CDEvent or an array) is validated against the CDEvents schemas; a 400 names the first invalid field (and is listed on the data-quality page). Events are stored once by context.id; X-Pier-Mapping-Version names the mapping version used.",
        parameters: [{ name: "slug", in: "path", required: true, schema: { type: "string" } }],
        requestBody: { required: true, content: { "application/json": { schema: {} } } },
        responses: { ...stored, ...errorResponses({ "404": "No custom source has this slug" }) },
      },
    },
  },
  components: {
    securitySchemes: {
      integrationToken: { type: "http", scheme: "bearer", description: "An integration token created by an admin under Admin → Integrations (pier_ing_…)" },
      integrationTokenQuery: { type: "apiKey", in: "query", name: "token", description: "The same integration token, for senders that cannot set headers" },
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
      CloudEvent: {
        type: "object",
        required: ["specversion", "id", "source", "type"],
        description: "CloudEvents 1.0 JSON format carrying one CDEvent (CDEvents CloudEvents binding)",
        properties: {
          specversion: { const: "1.0" },
          id: { type: "string", description: "= context.id" },
          source: { type: "string", description: "= context.source" },
          type: { type: "string", description: "= context.type" },
          subject: { type: "string", description: "= subject.id" },
          time: { type: "string", format: "date-time", description: "= context.timestamp" },
          datacontenttype: { type: "string", example: "application/json" },
          data: { $ref: "#/components/schemas/CDEvent" },
          data_base64: { type: "string", description: "The CDEvent JSON, base64-encoded (instead of data)" },
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
