// A request's log lines (shown on its page while it runs and after). The one module that writes DeploymentLog.
import { sql, type DB, type Db, type Kysely, type Tx } from "../db";

export type LogLevel = "info" | "warn" | "error";

const insertLine = (db: Kysely<DB>, requestId: string, message: string, level: LogLevel) =>
  db.insertInto("DeploymentLog").values({ requestId, message: message.slice(0, 2000), level });

/** Appends a line with the transaction's commit (nothing in a transaction reads its log lines back). */
export function appendLog(tx: Tx, requestId: string, message: string, level: LogLevel = "info") {
  tx.deferred.write(insertLine(tx, requestId, message, level));
}

/** Appends lines of several requests (in order) with the transaction's commit, as one INSERT. */
export function appendRequestLogs(tx: Tx, lines: readonly { requestId: string; message: string; level: LogLevel }[]) {
  if (!lines.length) return;
  tx.deferred.write(tx.insertInto("DeploymentLog").values(lines.map((l) => ({ requestId: l.requestId, message: l.message.slice(0, 2000), level: l.level }))));
}

/** Appends several lines at once, outside a transaction, as one INSERT. */
export async function writeLogs(db: Db, requestId: string, lines: readonly { message: string; level: LogLevel }[]) {
  if (!lines.length) return;
  await db.kysely
    .insertInto("DeploymentLog")
    .values(lines.map((l) => ({ requestId, message: l.message.slice(0, 2000), level: l.level })))
    .execute();
}

/** Appends a line at once, outside a transaction (a run's progress as its executor reports it). */
export async function writeLog(db: Db, requestId: string, message: string, level: LogLevel = "info") {
  await insertLine(db.kysely, requestId, message, level).execute();
}

/**
 * Appends the line unless it is already the request's last one: for states re-checked by sweeps and job retries
 * (held by a freeze, waiting for its target), which would otherwise repeat the same line on every pass. Sent with
 * the transaction's commit, after the lines appended before it.
 */
export function appendLogOnce(tx: Tx, requestId: string, level: "info" | "warn", message: string) {
  const lastMessage = tx.selectFrom("DeploymentLog").select("message").where("requestId", "=", requestId).orderBy("id", "desc").limit(1);
  tx.deferred.write(
    tx
      .insertInto("DeploymentLog")
      .columns(["requestId", "level", "message"])
      .expression(
        tx
          .selectNoFrom([sql<string>`${requestId}`.as("requestId"), sql<string>`${level}`.as("level"), sql<string>`${message}`.as("message")])
          .where((eb) => eb(lastMessage, "is distinct from", message)),
      ),
  );
}
