-- pier:not-in-schema
-- Webhook payloads are stored as they arrive, and the larger ones (GitLab's pipeline hook is ~6 KB) are compressed
-- (TOAST) on insert: lz4 took about a quarter less of Postgres' CPU per stored GitLab event than the default pglz
-- (inserting the pipeline hook fixture in batches of 4). Only values written from now on; a server built without lz4 keeps pglz.
DO $$
BEGIN
  ALTER TABLE "InboundEvent" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available in this Postgres build; InboundEvent.payload keeps pglz';
END
$$;
