// The one data layer (ARCHITECTURE rule 3). Prisma owns the schema and migrations and serves plain CRUD; every
// query that needs SQL is Kysely, typed from schema.prisma (generated/kysely). Functions take exactly one handle:
//   Db  the database outside a transaction (Prisma models, db.kysely, db.reader)
//   Tx  a Kysely transaction from transaction(db, fn), with tx.deferred and tx.afterCommit
// Reads that run both inside and outside transactions take Kysely<DB> (a Tx is one; so is db.kysely).
export { createDb, getDb, closeDb, disconnectDb, transaction, type Db } from "./client";
export { announceInvalidation, onInvalidation, invalidationListening, onWake, leads, resign } from "./invalidation";
export { deferredStatement, type Coalesced, type Tx } from "./transaction";
export { newId } from "./ids";
export { parseUtcTimestamp } from "./pg-pool";
export { Prisma } from "@/generated/prisma/client";
export type { DB } from "@/generated/kysely/types";
export { sql, type Kysely, type Selectable } from "kysely";
export { anyOf } from "./expressions";
export { prepared } from "./prepared";
