import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;
/**
 * A new row id for rows inserted through Kysely (Prisma's cuid() default is applied by its client, not the
 * database). Ids sort in creation order within a process (time, then a counter), like cuids, which is what
 * "ORDER BY createdAt, id" relies on for rows written in one transaction.
 */
export function newId(): string {
  const now = Date.now();
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  return `c${now.toString(36).padStart(9, "0")}${counter.toString(36).padStart(4, "0")}${randomBytes(6).toString("hex")}`;
}
