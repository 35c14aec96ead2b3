// A request's log lines (shown on its page while it runs and after).
import { sql, sqlOf, type AnyTx } from "../sql";

/**
 * Appends the line unless it is already the request's last one: for states re-checked by sweeps and job retries
 * (held by a freeze, waiting for its target), which would otherwise repeat the same line on every pass.
 */
export async function appendLogOnce(tx: AnyTx, requestId: string, level: "info" | "warn", message: string) {
  await sqlOf(tx).run(sql`
    INSERT INTO "DeploymentLog" ("requestId", level, message)
    SELECT ${requestId}, ${level}, ${message}
     WHERE (SELECT message FROM "DeploymentLog" WHERE "requestId" = ${requestId} ORDER BY id DESC LIMIT 1) IS DISTINCT FROM ${message}`);
}
