// Integration tokens for the ingestion API: created by admins, shown once, stored as a sha256 hash.
// Checking a token happens on every ingest request, so verified hashes are cached briefly in memory; a revoked
// token stops working within TOKEN_CACHE_MS.
import { createHash, randomBytes } from "node:crypto";
import { recordAudit, type Actor } from "../audit/audit-log";
import { newId, transaction, type Db } from "../db";
import { badRequest, notFound } from "../errors";

const TOKEN_PREFIX = "pier_ing_";
const TOKEN_CACHE_MS = 30_000;
const LAST_USED_EVERY_MS = 60_000;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createIngestToken(db: Db, actor: Actor, name: string) {
  const trimmed = name.trim();
  if (trimmed.length < 2 || trimmed.length > 80) throw badRequest("Name the token (2–80 characters), e.g. after the system that uses it", "name");
  const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
  const row = await transaction(db, async (tx) => {
    const created = await tx
      .insertInto("IngestToken")
      .values({ id: newId(), name: trimmed, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 4), createdById: actor.id })
      .returning(["id", "name", "prefix", "createdAt"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, {
      actor,
      action: "ingest_token.created",
      subjectType: "ingest_token",
      subjectId: created.id,
      after: { name: created.name, prefix: created.prefix },
    });
    return created;
  });
  // The only time the token itself leaves the server.
  return { ...row, token };
}

export async function listIngestTokens(db: Db) {
  return db.ingestToken.findMany({
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
  });
}

export async function revokeIngestToken(db: Db, actor: Actor, id: string) {
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("IngestToken").select(["id", "name", "revokedAt"]).where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Token");
    if (before.revokedAt) return before;
    const after = await tx
      .updateTable("IngestToken")
      .set({ revokedAt: new Date() })
      .where("id", "=", id)
      .returning(["id", "name", "revokedAt"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "ingest_token.revoked", subjectType: "ingest_token", subjectId: id, before, after });
    tx.afterCommit(() => tokenCache.clear());
    return after;
  });
}

const touchToken = (db: Db, id: string) => db.kysely.updateTable("IngestToken").set({ lastUsedAt: new Date() }).where("id", "=", id).execute();

const tokenCache = new Map<string, { id: string; until: number; lastUsedWrite: number }>();

/** The token id for a valid "Bearer <token>" header, else null. */
export async function authenticateIngestToken(db: Db, authorization: string | null): Promise<string | null> {
  const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization.trim()) : null;
  if (!m || !m[1].startsWith(TOKEN_PREFIX)) return null;
  const hash = hashToken(m[1]);
  const now = Date.now();
  const cached = tokenCache.get(hash);
  if (cached && cached.until > now) {
    if (now - cached.lastUsedWrite > LAST_USED_EVERY_MS) {
      cached.lastUsedWrite = now;
      void touchToken(db, cached.id).catch(() => undefined);
    }
    return cached.id;
  }
  const row = await db.kysely.selectFrom("IngestToken").select(["id", "revokedAt"]).where("tokenHash", "=", hash).executeTakeFirst();
  if (!row || row.revokedAt) {
    tokenCache.delete(hash);
    return null;
  }
  await touchToken(db, row.id);
  tokenCache.set(hash, { id: row.id, until: now + TOKEN_CACHE_MS, lastUsedWrite: now });
  return row.id;
}

/** Tests: forget cached verifications. */
export function clearIngestTokenCache() {
  tokenCache.clear();
}
