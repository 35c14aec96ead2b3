#!/usr/bin/env node
// `pier`: the command-line sender for pipelines. A plain Node ESM script (node built-ins + fetch only) so a CI job can
// run it with nothing but Node ≥ 20 — no tsx, no install of Pier's dependencies.
//   pier event send <file.json|->      one CDEvent or an array → POST /api/events/cdevents
//   pier migration --service … --environment … --version … --id … [--down …]   Pier's migration CDEvent
//   pier backfill <file.ndjson>        a history, one CDEvent per line, in batches with bounded concurrency
// The endpoint accepts or refuses a request as a whole and names the refused event's field ("[3].subject.id"), so the
// backfill drops a refused event from its batch and resends the rest: one bad line never costs the other 99.
import { accessSync, constants, createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const USAGE = `Usage: pier <command> [options]

Commands:
  event send <file.json|->     Send one CDEvent or a JSON array of them ("-" reads standard input).
  migration                    Report a database migration a deployment ran (dev.cdeventsx.pier-migration.applied).
      --service S --environment E --version V --id MIGRATION_ID
      [--description TEXT] [--down "down step"] [--source /ci/...] [--event-id ID]
  backfill <file.ndjson>       Import a history: one CDEvent per line, sent in batches.
      [--batch-size 100] [--concurrency 4] [--skip LINES]

Environment:
  PIER_URL     Pier's base URL, e.g. https://pier.example.com (or --url)
  PIER_TOKEN   an integration token, pier_ing_… (Admin → Integrations; or --token)

Exit codes: 0 success, 1 Pier refused something or could not be reached, 2 usage error.`;

const EVENTS_PATH = "/api/events/cdevents";
const MIGRATION_TYPE = "dev.cdeventsx.pier-migration.applied.0.1.0";
const MAX_RETRIES = 3;

class UsageError extends Error {}
class SendError extends Error {}

function connection(values) {
  const url = values.url ?? process.env.PIER_URL;
  const token = values.token ?? process.env.PIER_TOKEN;
  if (!url) throw new UsageError("PIER_URL is not set: export PIER_URL=https://pier.example.com (or pass --url)");
  if (!token) throw new UsageError("PIER_TOKEN is not set: create an integration token in Pier (Admin → Integrations)");
  let endpoint;
  try {
    endpoint = new URL(EVENTS_PATH, url.endsWith("/") ? url : `${url}/`).toString();
  } catch {
    throw new UsageError(`PIER_URL is not a URL: ${url}`);
  }
  return { endpoint, token };
}

/** One POST; the answer's status and JSON body (or its text when Pier — or a proxy — did not answer JSON). */
async function post({ endpoint, token }, body) {
  let res;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "user-agent": "pier-cli" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    const cause = err?.cause?.code ?? err?.cause?.message ?? err.message;
    throw new SendError(`cannot reach ${endpoint}: ${cause}`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: reported as text below
  }
  return { status: res.status, json, text, retryAfter: Number(res.headers.get("retry-after")) || null };
}

const describeRefusal = (r) => `HTTP ${r.status}: ${r.json?.error ?? r.text.slice(0, 500)}${r.json?.field ? ` (field ${r.json.field})` : ""}`;

async function sendOne(conn, body) {
  const r = await post(conn, body);
  if (r.status >= 400) throw new SendError(describeRefusal(r));
  process.stdout.write(`${JSON.stringify(r.json ?? r.text)}\n`);
}

function readInput(file) {
  const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file === "-" ? "standard input" : file} is not JSON: ${err.message}`);
  }
}

function migrationEvent(values) {
  for (const name of ["service", "environment", "version", "id"]) if (!values[name]) throw new UsageError(`pier migration needs --${name}`);
  const migration = { id: values.id };
  if (values.description) migration.description = values.description;
  if (values.down) migration.down = values.down;
  // A stable id by default: a pipeline that retries the step sends the same event, which Pier stores once.
  const eventId = values["event-id"] ?? `migration-${values.service}-${values.environment}-${values.version}-${values.id}`;
  return {
    context: { specversion: "0.5.1", id: eventId, source: values.source ?? "/pier-cli", type: MIGRATION_TYPE, timestamp: new Date().toISOString() },
    subject: {
      id: `migration/${values.id}`,
      content: { service: values.service, environment: values.environment, version: values.version, migration },
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const eventId = (e) => (typeof e?.context?.id === "string" ? e.context.id : "(no context.id)");

/**
 * Sends one batch ({ line, event } items) until every item is accepted, duplicate or refused: a refusal naming
 * "[i]." drops item i and resends the rest; 413 halves the batch; 5xx/unreachable retries with backoff.
 */
async function sendBatch(conn, items, totals) {
  let pending = items;
  let attempt = 0;
  while (pending.length > 0) {
    let r;
    try {
      r = await post(
        conn,
        pending.map((i) => i.event),
      );
    } catch (err) {
      if (++attempt > MAX_RETRIES) throw err;
      await sleep(500 * 2 ** attempt);
      continue;
    }
    if (r.status === 200 || r.status === 202) {
      const duplicates = r.json?.duplicates ?? 0;
      totals.duplicate += duplicates;
      totals.accepted += pending.length - duplicates;
      return;
    }
    if (r.status === 413 && pending.length > 1) {
      const half = Math.ceil(pending.length / 2);
      await sendBatch(conn, pending.slice(0, half), totals);
      await sendBatch(conn, pending.slice(half), totals);
      return;
    }
    if (r.status >= 500 || r.status === 429) {
      if (++attempt > MAX_RETRIES) throw new SendError(`${describeRefusal(r)} after ${MAX_RETRIES} retries`);
      await sleep((r.retryAfter ?? 0.5 * 2 ** attempt) * 1000);
      continue;
    }
    if (r.status === 401 || r.status === 403) throw new SendError(describeRefusal(r));
    const index = /^\[(\d+)\]/.exec(r.json?.field ?? "");
    if (index && Number(index[1]) < pending.length) {
      const refused = pending[Number(index[1])];
      totals.refused.push({ line: refused.line, id: eventId(refused.event), field: r.json.field.replace(/^\[\d+\]\.?/, ""), reason: r.json.error });
      pending = pending.filter((item) => item !== refused);
      continue;
    }
    // A refusal of the request as a whole (no event named): every event in it is reported with that reason.
    for (const item of pending) totals.refused.push({ line: item.line, id: eventId(item.event), field: r.json?.field ?? null, reason: describeRefusal(r) });
    return;
  }
}

async function backfill(conn, file, values) {
  const batchSize = Number(values["batch-size"] ?? 100);
  const concurrency = Number(values.concurrency ?? 4);
  const skip = Number(values.skip ?? 0);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 500)
    throw new UsageError("--batch-size must be 1–500 (Pier takes at most 500 events per request)");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new UsageError("--concurrency must be 1–32");
  if (!Number.isInteger(skip) || skip < 0) throw new UsageError("--skip must be a number of lines");
  if (file !== "-") {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${err.message}`);
    }
  }
  const input = file === "-" ? process.stdin : createReadStream(file);
  const totals = { accepted: 0, duplicate: 0, refused: [] };
  const started = Date.now();
  let lines = 0;
  let sent = 0;
  let fatal = null;
  const inFlight = new Set();
  // Batches finish out of order: `doneThrough` is the last line before which every batch has finished, i.e. the
  // --skip value that resumes without losing anything.
  const order = [];
  let doneThrough = skip;
  const progress = () => {
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `progress: ${sent} events sent (all through line ${doneThrough}) — accepted ${totals.accepted}, duplicate ${totals.duplicate}, refused ${totals.refused.length} — ${Math.round(sent / Math.max(seconds, 0.001))} events/s\n`,
    );
  };
  const dispatch = (batch, end) => {
    const slot = { end, done: false };
    order.push(slot);
    const p = sendBatch(conn, batch, totals)
      .then(() => {
        sent += batch.length;
        slot.done = true;
        while (order[0]?.done) doneThrough = order.shift().end;
        progress();
      })
      .catch((err) => {
        fatal ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  let batch = [];
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    lines++;
    if (lines <= skip || raw.trim() === "") continue;
    if (fatal) break;
    let event;
    try {
      event = JSON.parse(raw);
    } catch (err) {
      totals.refused.push({ line: lines, id: null, field: null, reason: `not JSON: ${err.message}` });
      continue;
    }
    batch.push({ line: lines, event });
    if (batch.length < batchSize) continue;
    dispatch(batch, lines);
    batch = [];
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  if (batch.length > 0 && !fatal) dispatch(batch, lines);
  await Promise.all(inFlight);
  const summary = `backfill: ${totals.accepted} accepted, ${totals.duplicate} duplicate, ${totals.refused.length} refused (${lines} lines read in ${((Date.now() - started) / 1000).toFixed(1)} s)`;
  process.stdout.write(`${summary}\n`);
  for (const r of totals.refused.sort((a, b) => a.line - b.line))
    process.stdout.write(`refused line ${r.line}${r.id ? ` (id ${r.id})` : ""}${r.field ? ` field ${r.field}` : ""}: ${r.reason}\n`);
  if (fatal)
    throw new SendError(
      `${fatal.message} — stopped; lines already sent are stored, resume with --skip ${doneThrough} (or resend the whole file: stored events come back as duplicates)`,
    );
  return totals.refused.length === 0;
}

async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      service: { type: "string" },
      environment: { type: "string" },
      version: { type: "string" },
      id: { type: "string" },
      description: { type: "string" },
      down: { type: "string" },
      source: { type: "string" },
      "event-id": { type: "string" },
      "batch-size": { type: "string" },
      concurrency: { type: "string" },
      skip: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === "event" && rest[0] === "send" && rest[1]) {
    const body = readInput(rest[1]);
    await sendOne(connection(values), body);
    return 0;
  }
  if (command === "migration") {
    const event = migrationEvent(values);
    await sendOne(connection(values), event);
    return 0;
  }
  if (command === "backfill" && rest[0]) return (await backfill(connection(values), rest[0], values)) ? 0 : 1;
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const usage = err instanceof UsageError || err?.code?.startsWith?.("ERR_PARSE_ARGS");
    process.stderr.write(`pier: ${err.message}\n${usage ? "Run pier --help for usage.\n" : ""}`);
    process.exit(usage ? 2 : 1);
  },
);
