// The one module that writes the rollout tables: Rollout, RolloutStep, RolloutAnalysis (the fleet's targets and
// plans: fleet-store.ts). State changes of rollouts and steps come through state-machine.ts, which holds the row
// locks and writes the audit records; this module only shapes the statements.
import type { Updateable } from "kysely";
import { jsonBuildObject } from "kysely/helpers/postgres";
import { anyOf, newId, prepared, sql, type DB, type Kysely, type Selectable, type Tx } from "../../db";
import type { Measurement } from "./analysis";
import type { RolloutPlanSpec } from "./plan";

export type RolloutRow = Selectable<DB["Rollout"]>;
export type StepRow = Selectable<DB["RolloutStep"]>;
type StepSet = Omit<Updateable<DB["RolloutStep"]>, "id" | "attempt" | "deployCount">;

/** Locks a rollout row (by its id, its request's, or one of its steps') for the rest of the transaction and returns it. */
export async function lockRollout(tx: Tx, where: { id: string } | { requestId: string } | { stepId: string }): Promise<RolloutRow | undefined> {
  const q = tx.selectFrom("Rollout").selectAll();
  const one =
    "id" in where
      ? q.where("id", "=", where.id)
      : "requestId" in where
        ? q.where("requestId", "=", where.requestId)
        : q.where("id", "=", (eb) => eb.selectFrom("RolloutStep").select("rolloutId").where("id", "=", where.stepId));
  return one.forUpdate().executeTakeFirst();
}

/** Locks several rollouts, in id order (so two transactions locking overlapping sets cannot deadlock). */
export async function lockRollouts(tx: Tx, ids: readonly string[]): Promise<RolloutRow[]> {
  if (!ids.length) return [];
  return tx.selectFrom("Rollout").selectAll().where("id", "=", anyOf(ids)).orderBy("id").forUpdate().execute();
}

export async function insertRollout(
  tx: Tx,
  values: { requestId: string; environmentId: string; plan: RolloutPlanSpec; waveCount: number },
  steps: { targetId: string; wave: number }[],
): Promise<RolloutRow | undefined> {
  const id = newId();
  const row = await tx
    .insertInto("Rollout")
    .values({ id, requestId: values.requestId, environmentId: values.environmentId, plan: JSON.stringify(values.plan), waveCount: values.waveCount })
    .onConflict((oc) => oc.column("requestId").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row && steps.length) {
    await tx
      .insertInto("RolloutStep")
      .values(steps.map((s) => ({ id: newId(), rolloutId: id, targetId: s.targetId, wave: s.wave })))
      .execute();
  }
  return row;
}

/**
 * Writes rollouts as their drafts leave them (state-machine.ts RolloutMoves), in one statement: each row only if
 * it is still at the revision the draft started from (the caller holds its lock, so a mismatch is a bug, not a
 * race). Returns the rollouts written with what their events need (their request's subject), from the same
 * statement.
 */
export async function writeRollouts(tx: Tx, rows: readonly { row: RolloutRow; baseRevision: number }[]) {
  if (!rows.length) return [];
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const written = await WRITE_ROLLOUTS.execute(tx, {
    ids: rows.map((r) => r.row.id),
    bases: rows.map((r) => r.baseRevision),
    revisions: rows.map((r) => r.row.revision),
    statuses: rows.map((r) => r.row.status),
    phases: rows.map((r) => r.row.phase),
    waves: rows.map((r) => r.row.currentWave),
    dues: rows.map((r) => iso(r.row.dueAt)),
    messages: rows.map((r) => r.row.message),
    finished: rows.map((r) => iso(r.row.finishedAt)),
    updated: rows.map((r) => iso(r.row.updatedAt)),
  });
  return written;
}

type RolloutArrays = {
  ids: string[];
  bases: number[];
  revisions: number[];
  statuses: string[];
  phases: string[];
  waves: number[];
  dues: (string | null)[];
  messages: string[];
  finished: (string | null)[];
  updated: (string | null)[];
};

const WRITE_ROLLOUTS = prepared((db, p: RolloutArrays) => {
  const v = sql<{
    id: string;
    base: number;
    revision: number;
    status: string;
    phase: string;
    wave: number;
    due: string | null;
    message: string;
    finished: string | null;
    updated: string;
  }>`unnest(${p.ids}::text[], ${p.bases}::int[], ${p.revisions}::int[], ${p.statuses}::text[], ${p.phases}::text[], ${p.waves}::int[],
      ${p.dues}::text[], ${p.messages}::text[], ${p.finished}::text[], ${p.updated}::text[])`.as<"v">(
    sql`v(id, base, revision, status, phase, wave, due, message, finished, updated)`,
  );
  return db
    .updateTable("Rollout as r")
    .from([v, "DeploymentRequest as d", "Service as s", "Team as t", "Environment as e"])
    .set((eb) => ({
      status: eb.ref("v.status"),
      phase: eb.ref("v.phase"),
      currentWave: eb.ref("v.wave"),
      dueAt: eb.cast<Date>("v.due", "timestamp"),
      message: eb.ref("v.message"),
      finishedAt: eb.cast<Date>("v.finished", "timestamp"),
      revision: eb.ref("v.revision"),
      updatedAt: eb.cast<Date>("v.updated", "timestamp"),
    }))
    .whereRef("r.id", "=", "v.id")
    .whereRef("d.id", "=", "r.requestId")
    .whereRef("s.id", "=", "d.serviceId")
    .whereRef("t.id", "=", "s.teamId")
    .whereRef("e.id", "=", "d.environmentId")
    .whereRef("r.revision", "=", "v.base")
    .returning((eb) => [
      "r.id",
      "d.id as requestId",
      "d.version",
      "d.previousVersion",
      jsonBuildObject({
        id: eb.ref("s.id"),
        slug: eb.ref("s.slug"),
        name: eb.ref("s.name"),
        tier: eb.ref("s.tier"),
        teamId: eb.ref("s.teamId"),
        teamSlug: eb.ref("t.slug"),
      }).as("service"),
      jsonBuildObject({ id: eb.ref("e.id"), name: eb.ref("e.name"), isProduction: eb.ref("e.isProduction") }).as("environment"),
    ]);
});

/** A rollout as written, with its request's version and the subject its events name (service, environment). */
export type WrittenRollout = Awaited<ReturnType<typeof writeRollouts>>[number];

/**
 * Moves each step from the status it was seen in (a step another transaction moved meanwhile is left alone), in
 * one statement, and returns the ids it changed; `attempt`/`deployCount` add to the counters.
 */
export async function moveStepRows(
  tx: Tx,
  steps: readonly { id: string; status: string }[],
  set: StepSet,
  inc: { attempt?: number; deployCount?: number } = {},
): Promise<string[]> {
  if (!steps.length) return [];
  const seen = sql<{ id: string; status: string }>`unnest(${steps.map((s) => s.id)}::text[], ${steps.map((s) => s.status)}::text[])`.as<"v">(
    sql`v(id, status)`,
  );
  const rows = await tx
    .updateTable("RolloutStep as s")
    .from(seen)
    .set((eb) => ({
      ...set,
      ...(inc.attempt ? { attempt: eb("s.attempt", "+", inc.attempt) } : {}),
      ...(inc.deployCount ? { deployCount: eb("s.deployCount", "+", inc.deployCount) } : {}),
    }))
    .whereRef("s.id", "=", "v.id")
    .whereRef("s.status", "=", "v.status")
    .returning("s.id")
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Workers claim queued steps in one statement, without the rollouts' locks: queued → deploying (rollback_queued →
 * rolling_back), attempt + 1, each only while it is still queued at the attempt its job was written for (any
 * attempt when the ask names none) and its rollout still runs (a rollback step also while rolling back). The step
 * rows' locks order this against pause/abort, which move queued steps with the same status condition. Returns the
 * steps claimed, each with what its run needs (target, request, service: claimed.ts), from the same statement.
 */
export async function claimStepRows(tx: Tx, asks: readonly { stepId: string; attempt: number | undefined }[], now: Date) {
  if (!asks.length) return [];
  return CLAIM_STEPS.execute(tx, { ids: asks.map((a) => a.stepId), attempts: asks.map((a) => a.attempt ?? null), now });
}

const CLAIM_STEPS = prepared((db, p: { ids: string[]; attempts: (number | null)[]; now: Date }) =>
  db
    .with("st", (db) =>
      db
        .updateTable("RolloutStep as st")
        .from(sql<{ id: string; attempt: number | null }>`unnest(${p.ids}::text[], ${p.attempts}::int[])`.as<"v">(sql`v(id, attempt)`))
        .set((eb) => ({
          status: sql<string>`CASE WHEN st.status = 'queued' THEN 'deploying' ELSE 'rolling_back' END`,
          attempt: eb("st.attempt", "+", 1),
          startedAt: p.now,
          heartbeatAt: p.now,
        }))
        .whereRef("st.id", "=", "v.id")
        .where(sql<boolean>`(v.attempt IS NULL OR st.attempt = v.attempt - 1)`)
        .where("st.status", "in", ["queued", "rollback_queued"])
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom("Rollout as r")
              .select(sql<number>`1`.as("ok"))
              .whereRef("r.id", "=", "st.rolloutId")
              .where(sql<boolean>`(r.status = 'running' OR (st.status = 'rollback_queued' AND r.status = 'rolling_back'))`),
          ),
        )
        .returning(["st.id", "st.rolloutId", "st.status", "st.attempt", "st.targetId", "st.wave"]),
    )
    .selectFrom("st")
    .innerJoin("Rollout as r", "r.id", "st.rolloutId")
    .innerJoin("DeploymentTarget as t", "t.id", "st.targetId")
    .innerJoin("DeploymentRequest as d", "d.id", "r.requestId")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .innerJoin("Environment as e", "e.id", "d.environmentId")
    .leftJoin("ServiceEnvironment as se", (j) => j.onRef("se.serviceId", "=", "d.serviceId").onRef("se.environmentId", "=", "d.environmentId"))
    .select([
      "st.id",
      "st.rolloutId",
      "st.status",
      "st.attempt",
      "st.targetId",
      "st.wave",
      "d.id as requestId",
      "d.version",
      "d.previousVersion",
      "d.strategy",
      "d.canarySteps",
      "d.serviceId",
      "d.environmentId",
      "s.slug",
      "s.name",
      "e.name as environmentName",
      "t.name as targetName",
      "t.executor",
      "t.executorConfig",
      "se.executorConfig as serviceConfig",
    ]),
);

/** A claimed step as its claim returns it: the step as claimed and what its run needs. */
export type ClaimedRow = Awaited<ReturnType<typeof claimStepRows>>[number];

/** The end of one step's run: to `status`, recorded only if the step is still `running` at `attempt`. */
type StepEnd = { stepId: string; running: string; attempt: number; status: string; message: string; executorMs: number; deployed: boolean };

/** A step as the orchestrator decides from it: its status, wave and target. */
export type LoadedStep = {
  id: string;
  rolloutId: string;
  status: string;
  attempt: number;
  wave: number;
  targetId: string;
  targetName: string;
  drained: boolean;
  health: string;
};

/** A rollout's steps (by wave and target name) and the version its request replaces (what a rollback deploys). */
export type RolloutSnapshot = { steps: LoadedStep[]; previousVersion: string | null };

type StepsRow = LoadedStep & { previousVersion: string | null };

/** Groups loaded steps (in rollout order) into their rollouts' snapshots. */
function snapshotsOf(rows: readonly StepsRow[]): Map<string, RolloutSnapshot> {
  const out = new Map<string, RolloutSnapshot>();
  for (const { previousVersion, ...step } of rows) {
    let snapshot = out.get(step.rolloutId);
    if (!snapshot) out.set(step.rolloutId, (snapshot = { steps: [], previousVersion }));
    snapshot.steps.push(step);
  }
  return out;
}

/** The snapshots of several rollouts, from one query (endStepsAndLoad, ending nothing). */
export async function loadRolloutSteps(tx: Tx, rolloutIds: readonly string[]): Promise<Map<string, RolloutSnapshot>> {
  return (await endStepsAndLoad(tx, [], rolloutIds, new Date())).snapshots;
}

/**
 * Ends many steps' runs and loads the locked rollouts' steps as they leave them, in one statement. Each step is
 * ended only if its rollout is one of `rolloutIds`, it is still that attempt's and still running (the loop may have taken it back, another delivery of
 * its job may have ended it); a step named twice is ended once. Returns the steps it ended and the rollouts'
 * snapshots (loadRolloutSteps), with each ended step at its new status: the statement's SELECT sees the rows as
 * they were before its own UPDATE, so an ended step's status is taken from the UPDATE's result.
 */
export async function endStepsAndLoad(tx: Tx, ends: readonly StepEnd[], rolloutIds: readonly string[], now: Date) {
  if (!rolloutIds.length) return { ended: [], snapshots: new Map<string, RolloutSnapshot>() };
  const rows = await END_AND_LOAD.execute(tx, {
    ids: ends.map((e) => e.stepId),
    running: ends.map((e) => e.running),
    attempts: ends.map((e) => e.attempt),
    statuses: ends.map((e) => e.status),
    messages: ends.map((e) => e.message.slice(0, 1000)),
    ms: ends.map((e) => e.executorMs),
    deployed: ends.map((e) => e.deployed),
    now,
    rollouts: [...rolloutIds],
  });
  const ended = rows.filter((r) => r.ended).map((r) => ({ id: r.id, rolloutId: r.rolloutId, targetId: r.targetId, wave: r.wave }));
  return { ended, snapshots: snapshotsOf(rows.map(({ ended: _, ...step }) => step)) };
}

type EndArrays = {
  ids: string[];
  running: string[];
  attempts: number[];
  statuses: string[];
  messages: string[];
  ms: number[];
  deployed: boolean[];
  now: Date;
  rollouts: string[];
};

const END_AND_LOAD = prepared((db, p: EndArrays) => {
  const v = sql<{ id: string; running: string; attempt: number; status: string; message: string; ms: number; deployed: boolean }>`unnest(
      ${p.ids}::text[], ${p.running}::text[], ${p.attempts}::int[], ${p.statuses}::text[], ${p.messages}::text[], ${p.ms}::int[], ${p.deployed}::boolean[])`.as<"v">(
    sql`v(id, running, attempt, status, message, ms, deployed)`,
  );
  return db
    .with("ended", (qc) =>
      qc
        .updateTable("RolloutStep as s")
        .from(v)
        .set((eb) => ({
          status: eb.ref("v.status"),
          message: eb.ref("v.message"),
          finishedAt: p.now,
          heartbeatAt: null,
          executorMs: eb.ref("v.ms"),
          deployCount: sql<number>`s."deployCount" + CASE WHEN v.deployed THEN 1 ELSE 0 END`,
        }))
        .whereRef("s.id", "=", "v.id")
        .whereRef("s.status", "=", "v.running")
        .whereRef("s.attempt", "=", "v.attempt")
        .where("s.rolloutId", "=", anyOf(p.rollouts))
        .returning(["s.id", "s.status"]),
    )
    .selectFrom("RolloutStep as s")
    .innerJoin("DeploymentTarget as t", "t.id", "s.targetId")
    .innerJoin("Rollout as r", "r.id", "s.rolloutId")
    .innerJoin("DeploymentRequest as d", "d.id", "r.requestId")
    .leftJoin("ended as e", "e.id", "s.id")
    .select((eb) => [
      "s.id",
      "s.rolloutId",
      eb.fn.coalesce("e.status", "s.status").as("status"),
      "s.attempt",
      "s.wave",
      "s.targetId",
      "t.name as targetName",
      "t.drained",
      "t.health",
      "d.previousVersion",
      eb("e.id", "is not", null).$castTo<boolean>().as("ended"),
    ])
    .where("s.rolloutId", "=", anyOf(p.rollouts))
    .orderBy("s.rolloutId")
    .orderBy("s.wave")
    .orderBy("t.name");
});

/** A running step's heartbeat (false when the step is no longer this attempt's, or no longer running). */
export async function beatStep(db: Kysely<DB>, id: string, attempt: number): Promise<boolean> {
  const r = await db
    .updateTable("RolloutStep")
    .set({ heartbeatAt: new Date() })
    .where("id", "=", id)
    .where("attempt", "=", attempt)
    .where("status", "in", ["deploying", "rolling_back"])
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** The analysis runs of waves that start verifying (a wave's run exists once). */
export async function insertAnalyses(tx: Tx, runs: readonly { rolloutId: string; wave: number }[]) {
  if (!runs.length) return;
  await tx
    .insertInto("RolloutAnalysis")
    .values(runs.map((r) => ({ id: newId(), rolloutId: r.rolloutId, wave: r.wave })))
    .onConflict((oc) => oc.columns(["rolloutId", "wave"]).doNothing())
    .execute();
}

export async function changeAnalysis(
  tx: Tx,
  rolloutId: string,
  wave: number,
  set: { status: string; measurements: Measurement[]; message: string; finishedAt?: Date },
) {
  await tx
    .updateTable("RolloutAnalysis")
    .set({ ...set, measurements: JSON.stringify(set.measurements) })
    .where("rolloutId", "=", rolloutId)
    .where("wave", "=", wave)
    .execute();
}

/**
 * Active requests' heartbeats, refreshed while their rollout runs (the request reconciler leaves them alone). Rows
 * another transaction holds (a batch of step ends finishing that request) are skipped, not waited for: waiting
 * while holding the rows already updated would deadlock with that batch.
 */
export async function beatRolloutRequests(db: Kysely<DB>, now = new Date()) {
  const r = await db
    .updateTable("DeploymentRequest")
    .set({ heartbeatAt: now })
    .where("id", "in", (eb) =>
      eb
        .selectFrom("DeploymentRequest as d")
        .innerJoin("Rollout as r", "r.requestId", "d.id")
        .select("d.id")
        .where("r.status", "in", ["running", "paused", "rolling_back"])
        .where("d.status", "=", "deploying")
        .forUpdate(["d"])
        .skipLocked(),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
