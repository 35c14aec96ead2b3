-- CreateTable
CREATE TABLE "AuditCheckpoint" (
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "signedAt" TIMESTAMP(3) NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "AuditCheckpoint_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "AuditChainStatus" (
    "kind" TEXT NOT NULL,
    "verifiedAt" TIMESTAMP(3) NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "checked" INTEGER NOT NULL,
    "report" JSONB NOT NULL,

    CONSTRAINT "AuditChainStatus_pkey" PRIMARY KEY ("kind")
);

-- pier:not-in-schema — from here on, SQL that schema.prisma cannot express (written by hand; test/migrations.test.ts
-- applies it to the database built from the schema too): the database refuses to rewrite the audit log.
-- "AuditEvent" and "AuditCheckpoint" are append-only: UPDATE, DELETE and TRUNCATE are refused.
-- "AuditHead" changes only the way the append statement (server/audit/audit-log.ts) changes it: inserted once, then
-- moved forward (the new "prevHash" is the old hash) to a record that exists once that statement has run; never
-- deleted. A database superuser can still go around triggers (session_replication_role = replica, or dropping
-- them): that is what the signed checkpoints detect (README, "What the audit chain proves").
CREATE FUNCTION pier_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on "%" refused: the audit log is append-only', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION pier_audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW."id" = OLD."id" AND NEW."prevHash" = OLD."hash" AND NEW."hash" <> OLD."hash" THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% on "AuditHead" refused: the chain head only moves forward by appending', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Runs after the whole append statement, so it sees the records that statement inserted.
CREATE FUNCTION pier_audit_head_names_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "AuditEvent" WHERE "hash" = NEW."hash") THEN
    RAISE EXCEPTION 'the audit chain head must name an appended record' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE OR DELETE ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION pier_audit_append_only();
CREATE TRIGGER "AuditEvent_no_truncate" BEFORE TRUNCATE ON "AuditEvent" FOR EACH STATEMENT EXECUTE FUNCTION pier_audit_append_only();
CREATE TRIGGER "AuditCheckpoint_append_only" BEFORE UPDATE OR DELETE ON "AuditCheckpoint" FOR EACH ROW EXECUTE FUNCTION pier_audit_append_only();
CREATE TRIGGER "AuditCheckpoint_no_truncate" BEFORE TRUNCATE ON "AuditCheckpoint" FOR EACH STATEMENT EXECUTE FUNCTION pier_audit_append_only();
CREATE TRIGGER "AuditHead_forward_only" BEFORE UPDATE OR DELETE ON "AuditHead" FOR EACH ROW EXECUTE FUNCTION pier_audit_head_forward_only();
CREATE TRIGGER "AuditHead_no_truncate" BEFORE TRUNCATE ON "AuditHead" FOR EACH STATEMENT EXECUTE FUNCTION pier_audit_append_only();
CREATE TRIGGER "AuditHead_names_record" AFTER INSERT OR UPDATE ON "AuditHead" FOR EACH ROW EXECUTE FUNCTION pier_audit_head_names_record();
