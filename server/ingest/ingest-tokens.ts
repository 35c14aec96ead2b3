// Integration tokens for the ingestion API: created by admins, shown once, stored as a sha256 hash.
// Checking a token happens on every ingest request, so verified hashes are cached briefly in memory (per process,
// i.e. per Db handle). Revoking announces it (Postgres NOTIFY with the revocation's commit): every process drops its
// cache within milliseconds; TOKEN_CACHE_MS bounds it should a process miss the notification.
import { createHash, randomBytes } from "node:crypto";
import { recordAudit, type Actor } from "../audit/audit-log";
import { announceInvalidation, newId, onInvalidation, transaction, type Db } from "../db";
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
    announceInvalidation(tx, TOKENS_TOPIC);
    tx.afterCommit(() => {
      const cache = tokenCacheOf(db);
      cache.generation++;
      cache.clear();
    });
    return after;
  });
}

const touchToken = (db: Db, id: string) => db.kysely.updateTable("IngestToken").set({ lastUsedAt: new Date() }).where("id", "=", id).execute();

const TOKENS_TOPIC = "ingest-tokens";
/** `generation` counts invalidations: a verification read before one is not cached after it. */
type TokenCache = Map<string, { id: string; until: number; lastUsedWrite: number }> & { generation: number };
const tokenCaches = new Map<Db, TokenCache>();

/** This process's verified tokens, dropped whenever any process revokes one. */
function tokenCacheOf(db: Db): TokenCache {
  let cache = tokenCaches.get(db);
  if (!cache) {
    const created: TokenCache = Object.assign(new Map(), { generation: 0 });
    tokenCaches.set(db, created);
    onInvalidation(db, TOKENS_TOPIC, () => {
      created.generation++;
      created.clear();
    });
    cache = created;
  }
  return cache;
}

/** The token id for a valid "Bearer <token>" header, else null. */
export async function authenticateIngestToken(db: Db, authorization: string | null): Promise<string | null> {
  const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization.trim()) : null;
  if (!m || !m[1].startsWith(TOKEN_PREFIX)) return null;
  const hash = hashToken(m[1]);
  const now = Date.now();
  const tokenCache = tokenCacheOf(db);
  const cached = tokenCache.get(hash);
  if (cached && cached.until > now) {
    if (now - cached.lastUsedWrite > LAST_USED_EVERY_MS) {
      cached.lastUsedWrite = now;
      void touchToken(db, cached.id).catch(() => undefined);
    }
    return cached.id;
  }
  const generation = tokenCache.generation;
  const row = await db.kysely.selectFrom("IngestToken").select(["id", "revokedAt"]).where("tokenHash", "=", hash).executeTakeFirst();
  if (!row || row.revokedAt) {
    tokenCache.delete(hash);
    return null;
  }
  await touchToken(db, row.id);
  if (tokenCache.generation === generation) tokenCache.set(hash, { id: row.id, until: now + TOKEN_CACHE_MS, lastUsedWrite: now });
  return row.id;
}

/** Tests: forget cached verifications. */
export function clearIngestTokenCache() {
  for (const cache of tokenCaches.values()) cache.clear();
}
