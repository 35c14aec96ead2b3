// Typed configuration: every variable validated once, with a message naming what is wrong.
// Defaults run the local demo with no configuration; production insists on real secrets.
import { randomBytes } from "node:crypto";
import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" }).transform((v) => v === "true" || v === "1" || v === "yes");

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => p + "//").join(" or ")}`,
  );

const base64Key = z.string().refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)");

/** The value PIER_DEMO_LOGIN_IN_PRODUCTION must have for demo sign-in to run in production. */
const DEMO_LOGIN_IN_PRODUCTION_ACK = "i-understand-anyone-can-sign-in-as-admin";

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: url(["postgresql:", "postgres:"]).default("postgresql://postgres@127.0.0.1:5432/pier"),
    REDIS_URL: url(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
    // Key prefix for every BullMQ queue: lets several Pier instances (or test runs) share one Redis.
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9:_{}-]+$/, "may hold letters, digits, : _ - { }")
      .default("pier"),
    PIER_BASE_URL: url(["http:", "https:"]).default("http://localhost:3000"),
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters (openssl rand -base64 32)").optional(),
    PIER_DEMO_LOGIN: bool.optional(),
    // Demo sign-in in production (anyone becomes any seeded user, admins included) needs this exact acknowledgement.
    PIER_DEMO_LOGIN_IN_PRODUCTION: z.string().optional(),
    // Sign-in attempts allowed per 15 minutes, per account and per source address.
    PIER_SIGNIN_LIMIT_PER_ACCOUNT: z.coerce.number({ error: "must be a number" }).int().min(1).max(10_000).default(10),
    PIER_SIGNIN_LIMIT_PER_ADDRESS: z.coerce.number({ error: "must be a number" }).int().min(1).max(100_000).default(30),
    AUTH_GITHUB_ID: z.string().min(1).optional(),
    AUTH_GITHUB_SECRET: z.string().min(1).optional(),
    OIDC_ISSUER: url(["https:", "http:"]).optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_NAME: z.string().min(1).default("Single sign-on"),
    // AES-256-GCM key for secrets at rest; older keys (comma-separated) still decrypt during a rotation.
    PIER_ENCRYPTION_KEY: base64Key.optional(),
    PIER_ENCRYPTION_KEYS_OLD: z
      .string()
      .optional()
      .refine((v) => !v || v.split(",").every((k) => Buffer.from(k.trim(), "base64").length === 32), "must be comma-separated 32-byte base64 keys"),
    // Inbound webhook signing secrets for set-ups configured by environment (admins can also add them in the UI).
    PIER_GITHUB_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    PIER_PAGERDUTY_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    // Jira issue types (comma-separated, any case) whose issues are incidents (server/ingest/jira-webhooks.ts).
    PIER_JIRA_INCIDENT_ISSUE_TYPES: z.string().trim().min(1, "name at least one issue type").default("Incident"),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    // When set, the worker process answers GET http://127.0.0.1:<port>/ with its liveness.
    PIER_WORKER_HEALTH_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).optional(),
    // Prometheus metrics: GET /api/metrics needs this bearer token (unset: not served on the web port), and/or a
    // separate listener on PIER_METRICS_HOST:PIER_METRICS_PORT serving GET /metrics.
    PIER_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (openssl rand -hex 24)").optional(),
    PIER_METRICS_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).optional(),
    PIER_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
    // How often the worker moves outbox rows into queues.
    OUTBOX_POLL_MS: z.coerce.number({ error: "must be a number" }).int().min(10).max(60_000).default(250),
    // DORA incident attribution: with no evidence, an incident is blamed on the service's last deployment in its
    // environment up to this many hours before detection (README "DORA definitions").
    DORA_INCIDENT_LINK_HOURS: z.coerce
      .number({ error: "must be a number of hours" })
      .int()
      .min(0)
      .max(24 * 30)
      .default(24),
    // Refused ingestion requests (data-quality page) are kept this many days after they were last seen.
    PIER_REJECTED_EVENT_RETENTION_DAYS: z.coerce.number({ error: "must be a number of days" }).int().min(1).max(3650).default(30),
    // Audit chain (README "What the audit chain proves"): the key signing checkpoints, kept outside the database, and
    // how often the workers verify the chain (incrementally from the last checkpoint) and verify all of it.
    PIER_AUDIT_CHECKPOINT_KEY: z.string().min(32, "must be at least 32 characters (openssl rand -base64 32)").optional(),
    PIER_AUDIT_VERIFY_INTERVAL_MS: z.coerce.number({ error: "must be a number" }).int().min(1000).max(86_400_000).default(600_000),
    PIER_AUDIT_FULL_VERIFY_INTERVAL_MS: z.coerce
      .number({ error: "must be a number" })
      .int()
      .min(60_000)
      .max(31 * 86_400_000)
      .default(86_400_000),
    // Scale-out and fault tolerance (README "Running in production"): the database connection budget and timeouts,
    // PgBouncer (transaction mode: no per-connection prepared statements), a read replica, Redis Cluster.
    PIER_DB_POOL_MAX: z.coerce.number({ error: "must be a number" }).int().min(1).max(500).default(10),
    // Ingest jobs a worker process runs at once (each holds a connection while it applies an event).
    PIER_INGEST_CONCURRENCY: z.coerce.number({ error: "must be a number" }).int().min(1).max(64).default(12),
    PIER_DB_CONNECT_TIMEOUT_MS: z.coerce.number({ error: "must be a number" }).int().min(100).max(120_000).default(5000),
    // Server-side statement_timeout for every statement (0 = none); the client gives up 1 s after it.
    PIER_DB_STATEMENT_TIMEOUT_MS: z.coerce.number({ error: "must be a number" }).int().min(0).max(3_600_000).default(15_000),
    PIER_DB_IDLE_TX_TIMEOUT_MS: z.coerce.number({ error: "must be a number" }).int().min(0).max(3_600_000).default(60_000),
    PIER_PG_PREPARED_STATEMENTS: bool.default(true),
    DATABASE_READ_URL: url(["postgresql:", "postgres:"]).optional(),
    DATABASE_LISTEN_URL: url(["postgresql:", "postgres:"]).optional(),
    REDIS_CLUSTER: bool.default(false),
  })
  .superRefine((v, ctx) => {
    if (v.NODE_ENV !== "production") return;
    if (!v.AUTH_SECRET) ctx.addIssue({ code: "custom", path: ["AUTH_SECRET"], message: "is required in production (openssl rand -base64 32)" });
    if (!v.PIER_ENCRYPTION_KEY) ctx.addIssue({ code: "custom", path: ["PIER_ENCRYPTION_KEY"], message: "is required in production (openssl rand -base64 32)" });
    if (!v.PIER_AUDIT_CHECKPOINT_KEY)
      ctx.addIssue({ code: "custom", path: ["PIER_AUDIT_CHECKPOINT_KEY"], message: "is required in production (openssl rand -base64 32)" });
    if ((v.AUTH_GITHUB_ID === undefined) !== (v.AUTH_GITHUB_SECRET === undefined))
      ctx.addIssue({ code: "custom", path: ["AUTH_GITHUB_SECRET"], message: "AUTH_GITHUB_ID and AUTH_GITHUB_SECRET go together" });
    if (v.PIER_DEMO_LOGIN && v.PIER_DEMO_LOGIN_IN_PRODUCTION !== DEMO_LOGIN_IN_PRODUCTION_ACK)
      ctx.addIssue({
        code: "custom",
        path: ["PIER_DEMO_LOGIN"],
        message: `is true with NODE_ENV=production, which lets anyone sign in as any demo user, admins included: unset PIER_DEMO_LOGIN, or also set PIER_DEMO_LOGIN_IN_PRODUCTION=${DEMO_LOGIN_IN_PRODUCTION_ACK}`,
      });
  });

export type Env = z.output<typeof schema> & {
  AUTH_SECRET: string;
  PIER_ENCRYPTION_KEY: string;
  demoLoginEnabled: boolean;
  githubEnabled: boolean;
  oidcEnabled: boolean;
};

export class EnvError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

// Outside production a missing secret gets a per-process random one (sessions end when the process restarts).
const devSecrets = { auth: randomBytes(32).toString("base64"), encryption: randomBytes(32).toString("base64") };

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Treat empty strings as unset, as shells and .env files often leave them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join(".") || "(environment)"} ${i.message}`));
  }
  const v = result.data;
  const demoLoginEnabled = v.PIER_DEMO_LOGIN ?? v.NODE_ENV !== "production";
  return {
    ...v,
    AUTH_SECRET: v.AUTH_SECRET ?? devSecrets.auth,
    PIER_ENCRYPTION_KEY: v.PIER_ENCRYPTION_KEY ?? devSecrets.encryption,
    demoLoginEnabled,
    githubEnabled: Boolean(v.AUTH_GITHUB_ID && v.AUTH_GITHUB_SECRET),
    oidcEnabled: Boolean(v.OIDC_ISSUER && v.OIDC_CLIENT_ID && v.OIDC_CLIENT_SECRET),
  };
}

let cached: Env | undefined;

/** The validated configuration of this process (parsed on first use; call at start-up to fail fast). */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Tests change process.env between cases. */
export function resetEnvForTests() {
  cached = undefined;
}
