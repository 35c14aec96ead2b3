// Property-based fuzzing of every edge (issue 12), with fast-check, within a fixed time budget that fits CI:
//   * every tRPC procedure of appRouter (walked from its definition), as anonymous, developer, other-team developer,
//     approver and admin, through the real HTTP handler: a baseline input derived from the procedure's zod schema with
//     one value (or the whole input) replaced by a hostile one — NUL bytes, lone surrogates, huge/negative/non-finite
//     numbers, out-of-range cursors and dates, deep nesting, prototype keys, exotic superjson types, random text;
//   * every REST endpoint that reads input (CDEvents, GitHub and PagerDuty webhooks, the deployment callback, catalog
//     import inline and in the background, a background import's status, catalog export) as its callers (no/valid
//     credentials, or each signed-in role), with hostile bodies and headers.
// Asserted for every answer: no 5xx; no internal text (SQL, stack, "prisma", "kysely") in it; and when it is a refusal
// (4xx), nothing was written: a row trigger on every table of this test's own database counts committed row
// changes per table (the audit log and its head included). Excepted: RejectedEvent for REST (recording the refusal
// is the point) and IngestToken.lastUsedAt (the token that authenticated is marked used). Prints the figures.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { POST as callbackPOST } from "@/app/api/deployments/callback/route";
import { POST as githubPOST } from "@/app/api/webhooks/github/route";
import { POST as pagerdutyPOST } from "@/app/api/webhooks/pagerduty/route";
import { systemActor } from "../server/audit/audit-log";
import { handleCatalogExportGet, handleCatalogImportGet, handleCatalogImportPost } from "../server/catalog/catalog-http";
import { getDb, sql } from "../server/db";
import { signBody } from "../server/deployments/executors/webhook-signature";
import type { SessionUser } from "../server/identity/roles";
import { createIngestToken } from "../server/ingest/ingest-tokens";
import { createWebhookSecret } from "../server/ingest/webhook-secrets";
import { encryptJson } from "../server/platform/secrets";
import { appRouter } from "../server/root";
import { cdevent } from "./support/cdevents-fixtures";
import { makeWorld, requestInput } from "./support/deployment-world";
import { sessionUser } from "./support/factories";
import { trpcHttp } from "./support/trpc-http";

/** Total wall-clock budget of the random phases (the systematic pass over procedures × roles comes first). */
const BUDGET_MS = Number(process.env.PIER_FUZZ_BUDGET_MS ?? 30_000);
const SEED = Number(process.env.PIER_FUZZ_SEED ?? 12);
// Postgres's "syntax error at or near …" is internal; JSONata's "syntax error at character N", shown to the admin
// editing a custom source's mapping next to its field, is not.
const INTERNAL_TEXT =
  /prisma|kysely|\bselect\b[^"]*\bfrom\b|insert into|syntax error at (?:or near|end of input)|violates .*constraint|duplicate key|relation "|node_modules|\n\s+at |\bat async\b|ECONNREFUSED|stack depth/i;

type Role = "anonymous" | "developer" | "otherTeamDeveloper" | "approver" | "admin";
const ROLES: Role[] = ["anonymous", "developer", "otherTeamDeveloper", "approver", "admin"];

const world = await makeWorld({ executor: "webhook", executorConfig: { integration: "fuzz-webhook" } });
const users: Record<Role, SessionUser | null> = {
  anonymous: null,
  developer: await sessionUser(world.developer.id),
  otherTeamDeveloper: await sessionUser(world.outsider.id),
  approver: await sessionUser(world.approver2.id),
  admin: await sessionUser(world.admin.id),
};
const CALLBACK_SECRET = "fuzz-callback-signing-secret";
const GH_SECRET = "fuzz-github-webhook-secret";
const PD_SECRET = "fuzz-pagerduty-webhook-secret";
let ingestToken = "";
let requestId = "";

// ---- what "nothing written" means: committed row changes per table, counted by triggers ----
async function snapshot(): Promise<Record<string, string>> {
  const { rows } = await sql<{ s: Record<string, string> | null }>`SELECT json_object_agg(t, n::text) AS s FROM fuzz_writes`.execute(getDb().kysely);
  return rows[0].s ?? {};
}
function changedTables(before: Record<string, string>, after: Record<string, string>, ignore: string[] = []) {
  return Object.keys(after).filter((t) => !ignore.includes(t) && before[t] !== after[t]);
}

// ---- hostile values ----
const clean = (s: string) => !INTERNAL_TEXT.test(s);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `x${String.fromCharCode(c)}y`);
const hostileString = fc.oneof(
  fc.constantFrom(
    "\u0000",
    "a\u0000b",
    "\uD800",
    "\uDC00tail",
    "99999999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "2026-99-99",
    "2026-02-30",
    "+275760-09-13T00:00:00Z",
    "0001-01-01",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "<img src=x onerror=alert(1)>",
    "",
    " ",
    "NaN",
    "Infinity",
    "{}",
    "[]",
    "\\",
    "\u202e\u200b",
    "🚢".repeat(100),
  ),
  loneSurrogate,
  fc.string({ maxLength: 40 }).filter(clean),
  fc.fullUnicodeString({ maxLength: 40 }).filter(clean),
  fc.nat({ max: 20_000 }).map((n) => "x".repeat(n)),
);
const nested = (depth: number) => {
  let v: unknown = "deep";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { d: v };
  return v;
};
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.constantFrom(2 ** 53, -(2 ** 53), 1e308, -1e308, 2147483648, -2147483649, 0.5, -0, Number.MAX_SAFE_INTEGER + 2),
      fc.double({ noNaN: false }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null,
      undefined,
      true,
      Infinity,
      Number.NaN,
      10n,
      new Date(Number.NaN),
      new Date(8.64e15),
      new Date(-8.64e15),
      new Date("2026-01-01T00:00:00Z"),
      new Set([1]),
      new Map([["a", 1]]),
      [],
      {},
      Array.from({ length: 3000 }, (_, i) => i),
      JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
      nested(100),
      nested(10),
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

// ---- inputs derived from a procedure's zod schema ----
type ZodDef = {
  type: string;
  shape?: Record<string, ZodLike>;
  element?: ZodLike;
  innerType?: ZodLike;
  options?: ZodLike[];
  entries?: Record<string, string>;
  values?: unknown[];
  in?: ZodLike;
  items?: ZodLike[];
  valueType?: ZodLike;
};
type ZodLike = { _zod: { def: ZodDef }; minLength?: number | null; minValue?: number | null };

const knownValues = (): Record<string, unknown> => ({
  slug: world.service.slug,
  fromSlug: world.service.slug,
  toSlug: world.service.slug,
  teamSlug: world.team.slug,
  id: requestId,
  requestId,
  deploymentId: requestId,
  serviceId: world.service.id,
  environmentId: world.envs.dev.id,
  teamId: world.team.id,
  userId: world.developer.id,
  requesterId: world.developer.id,
  from: new Date("2026-01-01T00:00:00Z"),
  to: new Date("2026-03-01T00:00:00Z"),
  week: "2026-01-05",
  version: "1.2.3",
  summary: "Ship the fuzzed change",
  reason: "An emergency reason long enough",
  note: "Reviewed after the fact",
  comment: "Looks fine",
  name: "Fuzz name",
  title: "Fuzz title",
  email: "fuzz@example.com",
  environment: "prod",
  timeZone: "UTC",
  yaml: `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: fuzz-svc }\nspec: { type: service, lifecycle: production, owner: ${world.team.slug} }\n`,
  secret: "s".repeat(24),
  url: "https://example.com/hook",
});

function baseline(schema: ZodLike | undefined, key = "", depth = 0): unknown {
  if (!schema?._zod || depth > 8) return undefined;
  const def = schema._zod.def;
  const known = knownValues();
  switch (def.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(def.shape ?? {})) {
        const value = baseline(v, k, depth + 1);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return baseline(def.innerType, key, depth + 1);
    case "pipe":
      return baseline(def.in, key, depth + 1);
    case "array":
      return [baseline(def.element, key, depth + 1)].filter((v) => v !== undefined);
    case "tuple":
      return (def.items ?? []).map((i) => baseline(i, key, depth + 1));
    case "union":
      return baseline(def.options?.[0], key, depth + 1);
    case "enum":
      return Object.values(def.entries ?? {})[0];
    case "literal":
      return def.values?.[0];
    case "boolean":
      return false;
    case "number":
    case "int":
      return Math.max(1, schema.minValue ?? 1);
    case "date":
      return known[key] instanceof Date ? known[key] : new Date("2026-01-15T00:00:00Z");
    case "record":
      return {};
    case "string": {
      const v = typeof known[key] === "string" ? (known[key] as string) : "fuzz-value";
      return v.padEnd(schema.minLength ?? 0, "x");
    }
    default:
      return undefined;
  }
}

type Path = (string | number)[];
function leafPaths(v: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => leafPaths(x, [...path, i], out));
  else if (v && typeof v === "object" && !(v instanceof Date)) for (const [k, x] of Object.entries(v)) leafPaths(x, [...path, k], out);
  return out;
}
function replaceAt(v: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) }) as Record<string | number, unknown>;
  copy[path[0]] = replaceAt(copy[path[0]], path.slice(1), value);
  return copy;
}

type Procedure = { path: string; type: "query" | "mutation"; base: unknown; paths: Path[] };
function procedures(): Procedure[] {
  const procs = (appRouter._def as unknown as { procedures: Record<string, { _def: { type: string; inputs: ZodLike[] } }> }).procedures;
  return Object.entries(procs)
    .filter(([, p]) => p._def.type === "query" || p._def.type === "mutation")
    .map(([path, p]) => {
      const parts = p._def.inputs.map((s) => baseline(s));
      const base =
        parts.length === 0 ? undefined : parts.every((x) => x && typeof x === "object" && !Array.isArray(x)) ? Object.assign({}, ...parts) : parts[0];
      return { path, type: p._def.type as "query" | "mutation", base, paths: leafPaths(base) };
    });
}

// ---- figures ----
const figures = { trpc: 0, rest: 0, fiveHundreds: 0, refusals: 0, accepted: 0, covered: new Set<string>(), restCovered: new Set<string>() };
const failures: string[] = [];

function check(label: string, status: number, text: string, before: Record<string, string>, after: Record<string, string>, ignore: string[] = []) {
  if (status >= 500) {
    figures.fiveHundreds++;
    failures.push(`${label}: ${status} ${text.slice(0, 300)}`);
  }
  if (INTERNAL_TEXT.test(text)) failures.push(`${label}: internal text in the answer: ${text.slice(0, 300)}`);
  if (status >= 400) {
    figures.refusals++;
    const changed = changedTables(before, after, ignore);
    if (changed.length) failures.push(`${label}: refused with ${status} but wrote ${changed.join(", ")}`);
  } else figures.accepted++;
}

async function callTrpc(proc: Procedure, role: Role, input: unknown, label: string) {
  let raw: string;
  try {
    // What a client can send: superjson's encoding (Date, BigInt, Set, Map, undefined …); values it cannot encode
    // (an invalid Date) never reach the server.
    raw = JSON.stringify(superjson.serialize(input));
  } catch {
    return;
  }
  const before = await snapshot();
  let res: { status: number; text: string };
  try {
    res = await trpcHttp(users[role], proc.path, proc.type, undefined, { rawBody: input === undefined ? undefined : raw });
  } catch (err) {
    res = { status: 599, text: `threw: ${(err as Error).stack}` };
  }
  const after = await snapshot();
  figures.trpc++;
  figures.covered.add(`${proc.path}|${role}`);
  check(`${proc.path} as ${role} [${label}]`, res.status, res.text, before, after);
}

// ---- REST endpoints ----
type RestCall = { endpoint: string; caller: string; send: (body: string, header: string) => Promise<Response> };
const post = (url: string, body: string, headers: Record<string, string>) => new Request(`http://pier.test${url}`, { method: "POST", body, headers });
const hmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");
const printable = (s: string) => s.replace(/[^\x21-\x7e]/g, "").slice(0, 300) || "x";
function restCalls(): RestCall[] {
  const calls: RestCall[] = [
    {
      endpoint: "POST /api/events/cdevents",
      caller: "no token",
      send: (b) => cdeventsPOST(post("/api/events/cdevents", b, { "content-type": "application/json" })),
    },
    {
      endpoint: "POST /api/events/cdevents",
      caller: "integration token",
      send: (b) => cdeventsPOST(post("/api/events/cdevents", b, { "content-type": "application/json", authorization: `Bearer ${ingestToken}` })),
    },
    {
      endpoint: "POST /api/webhooks/github",
      caller: "unsigned",
      send: (b, h) => githubPOST(post("/api/webhooks/github", b, { "x-github-event": "push", "x-github-delivery": printable(h) })),
    },
    {
      endpoint: "POST /api/webhooks/github",
      caller: "signed",
      send: (b, h) =>
        githubPOST(
          post("/api/webhooks/github", b, {
            "x-hub-signature-256": `sha256=${hmac(GH_SECRET, b)}`,
            "x-github-event": ["push", "deployment_status", "workflow_run", "pull_request", "ping", printable(h)][h.length % 6],
            "x-github-delivery": printable(h),
          }),
        ),
    },
    { endpoint: "POST /api/webhooks/pagerduty", caller: "unsigned", send: (b) => pagerdutyPOST(post("/api/webhooks/pagerduty", b, {})) },
    {
      endpoint: "POST /api/webhooks/pagerduty",
      caller: "signed",
      send: (b) => pagerdutyPOST(post("/api/webhooks/pagerduty", b, { "x-pagerduty-signature": `v1=${hmac(PD_SECRET, b)}` })),
    },
    { endpoint: "POST /api/deployments/callback", caller: "unsigned", send: (b) => callbackPOST(post("/api/deployments/callback", b, {})) },
    {
      endpoint: "POST /api/deployments/callback",
      caller: "signed",
      send: (b) => {
        const ts = String(Math.floor(Date.now() / 1000));
        return callbackPOST(post("/api/deployments/callback", b, { "x-pier-timestamp": ts, "x-pier-signature-256": signBody(CALLBACK_SECRET, ts, b) }));
      },
    },
  ];
  for (const role of ROLES) {
    calls.push({
      endpoint: "POST /api/catalog/import",
      caller: role,
      send: (b, h) =>
        handleCatalogImportPost(post("/api/catalog/import", b, { "content-type": h.length % 2 ? "application/json" : "application/yaml" }), {
          db: getDb(),
          user: users[role],
        }),
    });
    calls.push({
      endpoint: "POST /api/catalog/import?async=1",
      caller: role,
      send: (b, h) =>
        handleCatalogImportPost(post("/api/catalog/import?async=1", b, { "content-type": h.length % 2 ? "application/json" : "application/yaml" }), {
          db: getDb(),
          user: users[role],
        }),
    });
    calls.push({
      endpoint: "GET /api/catalog/import/<id>",
      caller: role,
      send: (_b, h) =>
        handleCatalogImportGet(new Request(`http://pier.test/api/catalog/import/${encodeURIComponent(h)}`), { db: getDb(), user: users[role] }, h),
    });
    calls.push({
      endpoint: "GET /api/catalog/export",
      caller: role,
      send: (_b, h) =>
        handleCatalogExportGet(new Request(`http://pier.test/api/catalog/export?service=${encodeURIComponent(h)}`), { db: getDb(), user: users[role] }),
    });
  }
  return calls;
}

/** Plausible bodies per endpoint, so hostile values also reach past the envelope checks. */
const restBaselines = (): unknown[] => [
  cdevent("service.deployed", "0.5", { id: `fz-${Math.random().toString(36).slice(2)}` }),
  { event: { id: `pd-${Math.random().toString(36).slice(2)}`, event_type: "incident.triggered", occurred_at: "2026-01-01T00:00:00Z", data: { id: "P1" } } },
  { requestId, status: "running", progress: 10, message: "step" },
  { yaml: knownValues().yaml, dryRun: true },
  { zen: "x", hook_id: 1, repository: { name: "r" } },
];

const hostileBody: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(), hostileValue).map(([b, p, v]) => {
    const base = restBaselines()[b % 5];
    const paths = leafPaths(base);
    const value = replaceAt(base, paths[p % paths.length], v);
    try {
      return JSON.stringify(value) ?? "null";
    } catch {
      return "{}";
    }
  }),
  hostileString,
  fc.constantFrom(
    "{",
    "[".repeat(5000) + "]".repeat(5000),
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    '{"__proto__":{"x":1}}',
    "null",
    "a: &a [1,2]\nb: [*a,*a,*a]\n",
    "x".repeat(1_100_000),
  ),
);

beforeAll(async () => {
  const db = getDb();
  // Test-only instrumentation of this file's throw-away database: a row trigger on every table counts changes in a
  // table of its own, in the writing transaction (so rolled-back work counts nothing).
  await sql`CREATE TABLE fuzz_writes (t text PRIMARY KEY, n bigint NOT NULL)`.execute(db.kysely);
  await sql`CREATE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO fuzz_writes (t, n) VALUES (TG_TABLE_NAME, 1) ON CONFLICT (t) DO UPDATE SET n = fuzz_writes.n + 1;
      RETURN NULL;
    END $$`.execute(db.kysely);
  const tables = await sql<{ table_name: string; columns: string[] }>`
    SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
    FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name NOT IN ('fuzz_writes', '_pier_migrations')
    GROUP BY c.table_name`.execute(db.kysely);
  const notCounted: Record<string, string[]> = { IngestToken: ["lastUsedAt"] };
  for (const { table_name: table, columns } of tables.rows) {
    const skip = notCounted[table] ?? [];
    const update = skip.length
      ? `UPDATE OF ${columns
          .filter((c) => !skip.includes(c))
          .map((c) => `"${c}"`)
          .join(", ")}`
      : "UPDATE";
    await sql`${sql.raw(`CREATE TRIGGER fuzz_count AFTER INSERT OR ${update} OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION fuzz_count()`)}`.execute(
      db.kysely,
    );
  }
  ingestToken = (await createIngestToken(db, systemActor("fuzz"), "Fuzz CI")).token;
  await createWebhookSecret(db, systemActor("fuzz"), { kind: "github_webhook", name: "Fuzz GitHub", secret: GH_SECRET });
  await createWebhookSecret(db, systemActor("fuzz"), { kind: "pagerduty_webhook", name: "Fuzz PagerDuty", secret: PD_SECRET });
  await db.integration.create({
    data: {
      name: "fuzz-webhook",
      kind: "webhook",
      settings: { url: "https://deploy.example/hook" },
      secretEncrypted: encryptJson({ signingSecret: CALLBACK_SECRET }),
    },
  });
  const created = await trpcHttp(users.developer, "deployments.create", "mutation", requestInput(world, "dev", "1.1.0"));
  requestId = (created.data as { id?: string } | undefined)?.id ?? "no-request";
}, 60_000);

afterAll(() => {
  const procs = procedures().length;
  console.log(
    [
      `fuzz: ${figures.trpc + figures.rest} inputs tried (tRPC ${figures.trpc}, REST ${figures.rest}), 5xx: ${figures.fiveHundreds},`,
      `refused ${figures.refusals}, accepted ${figures.accepted};`,
      `tRPC procedures × roles covered: ${figures.covered.size} of ${procs} × ${ROLES.length} = ${procs * ROLES.length};`,
      `REST endpoints × callers covered: ${figures.restCovered.size} of ${restCalls().length}; seed ${SEED}, budget ${BUDGET_MS} ms`,
    ].join(" "),
  );
});

describe("fuzz: hostile input at every edge, as every role", () => {
  it("never answers 5xx, never shows internal text, never writes on a refusal (tRPC)", async () => {
    const procs = procedures();
    expect(procs.length).toBeGreaterThan(50);
    // 1. Systematic: every procedure × role, with a NUL byte in the first string field (or the whole input).
    for (const proc of procs) {
      const stringPath = proc.paths.find((p) => p.length > 0) ?? [];
      for (const role of ROLES) await callTrpc(proc, role, replaceAt(proc.base, stringPath, "bad\u0000value"), "systematic");
    }
    // 2. Random: a procedure, a role, one value of its baseline input (or the whole input, or an extra key) hostile.
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(...ROLES), fc.nat(), fc.boolean(), hostileValue, async (pi, role, pathIndex, extraKey, value) => {
        const proc = procs[pi % procs.length];
        const base = proc.base;
        const input =
          extraKey && base && typeof base === "object" && !Array.isArray(base)
            ? { ...base, [["__proto__", "constructor", "\u0000", "x".repeat(300)][pathIndex % 4]]: value }
            : replaceAt(base, proc.paths[pathIndex % proc.paths.length], value);
        await callTrpc(proc, role, input, "random");
      }),
      { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: Math.max(5_000, BUDGET_MS * 0.7 - (Date.now() - started)), markInterruptAsFailure: false },
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it("never answers 5xx, never shows internal text, never writes on a refusal (REST)", async () => {
    const calls = restCalls();
    const run = async (call: RestCall, body: string, header: string) => {
      const before = await snapshot();
      let status: number;
      let text: string;
      try {
        const res = await call.send(body, header);
        status = res.status;
        text = await res.text();
      } catch (err) {
        status = 599;
        text = `threw: ${(err as Error).stack}`;
      }
      const after = await snapshot();
      figures.rest++;
      figures.restCovered.add(`${call.endpoint}|${call.caller}`);
      check(`${call.endpoint} as ${call.caller}`, status, text, before, after, ["RejectedEvent"]);
    };
    for (const call of calls) await run(call, '{"a":"bad\\u0000value"}', "x\u00e9");
    await fc.assert(
      fc.asyncProperty(fc.nat(), hostileBody, fc.string({ maxLength: 80 }).filter(clean), async (ci, body, header) =>
        run(calls[ci % calls.length], body, header),
      ),
      { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: Math.max(5_000, BUDGET_MS * 0.3), markInterruptAsFailure: false },
    );
    expect(failures).toEqual([]);
  }, 120_000);
});
